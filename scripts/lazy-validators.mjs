// A build-time fix for @platformatic/kafka (issue 15: the bridge's first batch). Used by scripts/build.mjs; tested by
// test/deploy/lazyValidators.test.ts.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * @platformatic/kafka compiles its 38 option schemas with ajv when its modules load (`export const xValidator =
 * ajv.compile(schema)` in clients/*\/options.js): ~270 ms of CPU on this machine, about three quarters of loading
 * the library, paid by the first invocation that uses the adapter — and the validators only run when a client is
 * created with `strict: true`, which this project never sets. The build makes each one compile on its first call
 * instead (same function, same `errors`). A version whose files no longer have that form fails the build.
 */
const LAZY_VALIDATOR = `
function __kbridgeLazyValidator(compile) {
  let compiled;
  const validate = function (...args) {
    compiled ??= compile();
    const valid = compiled.apply(this, args);
    validate.errors = compiled.errors;
    return valid;
  };
  validate.errors = null;
  return validate;
}
`;

/** Index of the `)` closing the `(` at `open`, skipping string literals. */
function closingParen(source, open) {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === '"' || c === "'" || c === '`') {
      for (i++; i < source.length && source[i] !== c; i++) if (source[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/**
 * The esbuild plugin (scripts/build.mjs); `root` only shortens paths in its error message.
 *
 * @example
 * ```js
 * await esbuild.build({ …, plugins: [lazyAjvValidatorsPlugin(process.cwd())] });
 * ```
 */
export const lazyAjvValidatorsPlugin = (root) => ({
  name: 'kbridge-lazy-ajv-validators',
  setup(build) {
    build.onLoad({ filter: /[\\/]@platformatic[\\/]kafka[\\/]dist[\\/]clients[\\/][a-z]+[\\/]options\.js$/ }, (args) => {
      let source = readFileSync(args.path, 'utf8');
      const all = source.split('ajv.compile(').length - 1;
      const form = /^export const \w+ = ajv\.compile\(/gm;
      let rewritten = 0;
      for (let m = form.exec(source); m; m = form.exec(source)) {
        const open = m.index + m[0].length - 1;
        const close = closingParen(source, open);
        if (close < 0) break;
        source = `${source.slice(0, open - 'ajv.compile'.length)}__kbridgeLazyValidator(() => ajv.compile${source.slice(open, close + 1)})${source.slice(close + 1)}`;
        rewritten += 1;
        form.lastIndex = close;
      }
      if (rewritten !== all) {
        return { errors: [{ text: `${relative(root, args.path)}: ${all} ajv.compile() calls, ${rewritten} of the form "export const x = ajv.compile(…)"; update scripts/lazy-validators.mjs` }] };
      }
      return { contents: `${source}\n${LAZY_VALIDATOR}`, loader: 'js' };
    });
  },
});
