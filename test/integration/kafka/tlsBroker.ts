import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createKafkaClient, withKafkaAdmin, type KafkaClientKind } from '../../../src/kafka';
import { brokerJvmOptions, newKafkaClusterId } from '../../../src/local/clusters/brokerConfig';
import { kafkaClasspath, lastLines, loggingConfig, loggingSystemProperties, runCommand, runKafkaTool } from '../../../src/local/clusters/kafkaDist';
import { resolveLocalSettings } from '../../../src/local/clusters/settings';
import { waitFor } from '../../support/helpers';

/**
 * A throwaway single-node KRaft broker for the TLS tests only (the shared clusters have no SSL listener):
 * a PKI made with `openssl` at test time (CA, broker certificate for 127.0.0.1, client certificate with
 * an encrypted PKCS#8 key), an `SSL` listener (server authentication), an `MTLS` listener that
 * requires a client certificate, and a `SASL_SSL` listener with SCRAM-SHA-256 and PLAIN users. Uses the Kafka jars `kbridge local up` already cached.
 */
export interface TlsBroker {
  /** SSL listener, server-authenticated only. */
  ssl: string;
  /** SSL listener that requires a client certificate signed by the CA. */
  mtls: string;
  /** SASL_SSL listener (SCRAM-SHA-256, SCRAM-SHA-512, PLAIN): the shape of MSK's SASL/SCRAM listener. */
  saslSsl: string;
  scram256: { username: string; password: string };
  plain: { username: string; password: string };
  caPem: string;
  clientCertPem: string;
  clientKeyEncryptedPem: string;
  clientKeyPassword: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const result = await runCommand('openssl', args, dir);
  if (result.code !== 0) throw new Error(`openssl ${args[0]} failed: ${lastLines(result.output, 10)}`);
}

/** Java properties escape: one line, real newlines as `\n`. */
const pemProperty = (pem: string) => pem.trim().split('\n').join('\\n');

export async function startTlsBroker(kafkaVersion: string, probeClient: KafkaClientKind = 'kafkajs'): Promise<TlsBroker> {
  const settings = resolveLocalSettings(process.env);
  const dir = await mkdtemp(join(tmpdir(), 'kbridge-tls-'));
  const clientKeyPassword = randomBytes(8).toString('hex');
  const scram256 = { username: 'kb-scram256', password: randomBytes(12).toString('hex') };
  const plain = { username: 'kb-plain', password: randomBytes(12).toString('hex') };

  await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=kbridge-it-ca']);
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=127.0.0.1']);
  await openssl(dir, ['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.pem', '-days', '2', '-extfile', 'san.ext']);
  await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=kbridge-it-client']);
  await openssl(dir, ['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2']);
  await openssl(dir, ['pkcs8', '-topk8', '-in', 'client.key', '-out', 'client-encrypted.key', '-passout', `pass:${clientKeyPassword}`]);
  const read = (name: string) => readFile(join(dir, name), 'utf8');
  const [caPem, brokerPem, brokerKey, clientCertPem, clientKeyEncryptedPem] = await Promise.all(
    ['ca.pem', 'broker.pem', 'broker.key', 'client.pem', 'client-encrypted.key'].map(read),
  ) as [string, string, string, string, string];

  const [plaintext, ssl, mtls, saslSsl, controller] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const h = '127.0.0.1';
  const properties = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${h}:${controller}`,
    `listeners=PLAINTEXT://${h}:${plaintext},SSL://${h}:${ssl},MTLS://${h}:${mtls},SASL_SSL://${h}:${saslSsl},CONTROLLER://${h}:${controller}`,
    `advertised.listeners=PLAINTEXT://${h}:${plaintext},SSL://${h}:${ssl},MTLS://${h}:${mtls},SASL_SSL://${h}:${saslSsl}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${plain.username}="${plain.password}";`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'ssl.keystore.type=PEM',
    `ssl.keystore.certificate.chain=${pemProperty(brokerPem + caPem)}`,
    `ssl.keystore.key=${pemProperty(brokerKey)}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.certificates=${pemProperty(caPem)}`,
    'ssl.client.auth=none',
    'listener.name.mtls.ssl.client.auth=required',
    `log.dirs=${join(dir, 'data')}`,
    'num.partitions=1',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'num.network.threads=1',
    'num.io.threads=2',
    '',
  ].join('\n');
  const propertiesFile = join(dir, 'server.properties');
  const logConfigFile = join(dir, 'log4j.properties');
  await writeFile(propertiesFile, properties);
  await writeFile(logConfigFile, loggingConfig(kafkaVersion, 'WARN', 'stdout'));

  const format = await runKafkaTool(settings.cacheDir, kafkaVersion, 'kafka.tools.StorageTool', ['format', '-t', newKafkaClusterId(), '-c', propertiesFile, '--add-scram', `SCRAM-SHA-256=[name=${scram256.username},password=${scram256.password}]`]);
  if (format.code !== 0) throw new Error(`formatting the TLS broker failed: ${lastLines(format.output, 10)}`);

  let output = '';
  const child: ChildProcess = spawn(
    'java',
    [...brokerJvmOptions('256m'), ...loggingSystemProperties(kafkaVersion, logConfigFile), '-cp', kafkaClasspath(settings.cacheDir, kafkaVersion), 'kafka.Kafka', propertiesFile],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));

  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    await rm(dir, { recursive: true, force: true });
  };

  const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };
  const probe = await createKafkaClient({ name: 'tls-probe', bootstrapServers: [`${h}:${plaintext}`], auth: { type: 'none' } }, { client: probeClient, logger: quiet, logLevel: 'nothing', retries: 0 });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the TLS broker exited (${code})`))));
  exited.catch(() => undefined);
  try {
    await Promise.race([
      exited,
      waitFor(
        'the throwaway TLS broker to answer',
        async () => {
          await withKafkaAdmin(probe, (admin) => admin.listTopics());
          return true;
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      ),
    ]);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${lastLines(output, 15)}`);
  }

  return { ssl: `${h}:${ssl}`, mtls: `${h}:${mtls}`, saslSsl: `${h}:${saslSsl}`, scram256, plain, caPem, clientCertPem, clientKeyEncryptedPem, clientKeyPassword, stop };
}
