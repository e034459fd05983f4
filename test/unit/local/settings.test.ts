import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors';
import { brokerProperties, newClusterRecord, scramFormatArgument } from '../../../src/local/clusters/brokerConfig';
import { kafkaArtifacts, kafkaLibDir, kafkaPom, loggingConfig, loggingSystemProperties } from '../../../src/local/clusters/kafkaDist';
import { portsFrom, resolveLocalSettings } from '../../../src/local/clusters/settings';
import { motoRequirement } from '../../../src/local/moto';

function parseProperties(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.includes('=')) continue;
    const i = line.indexOf('=');
    map.set(line.slice(0, i), line.slice(i + 1));
  }
  return map;
}

describe('resolveLocalSettings', () => {
  it('uses the documented defaults when no variable is set', () => {
    // Act
    const settings = resolveLocalSettings({});

    // Assess
    expect(settings.kafkaVersion).toBe('3.9.2');
    expect(settings.ports.source).toEqual({ plaintext: 19092, sasl: 19093, controller: 19094 });
    expect(settings.ports.target).toEqual({ plaintext: 29092, sasl: 29093, controller: 29094 });
    expect(settings.motoPort).toBe(4599);
    expect(settings.stateDir).toMatch(/kbridge-local$/);
    expect(settings.cacheDir).toMatch(/\.cache\/kbridge$/);
  });

  it('takes version, directories and base ports from the environment', () => {
    // Prepare
    const env = {
      KBRIDGE_KAFKA_VERSION: '4.1.1',
      KBRIDGE_CACHE_DIR: '/c',
      KBRIDGE_HOME: '/s',
      KBRIDGE_SOURCE_PORT: '39092',
      KBRIDGE_TARGET_PORT: '49092',
      KBRIDGE_MOTO_PORT: '5000',
      KBRIDGE_BROKER_HEAP: '256m',
    };

    // Act
    const settings = resolveLocalSettings(env);

    // Assess
    expect(settings).toEqual({
      kafkaVersion: '4.1.1',
      cacheDir: '/c',
      stateDir: '/s',
      ports: { source: portsFrom(39092), target: portsFrom(49092) },
      motoPort: 5000,
      brokerHeap: '256m',
    });
  });

  it('treats empty variables as unset', () => {
    // Act
    const settings = resolveLocalSettings({ KBRIDGE_SOURCE_PORT: '', KBRIDGE_KAFKA_VERSION: '  ' });

    // Assess
    expect(settings.ports.source.plaintext).toBe(19092);
    expect(settings.kafkaVersion).toBe('3.9.2');
  });

  it.each([
    ['KBRIDGE_SOURCE_PORT', 'abc', /KBRIDGE_SOURCE_PORT.*port/],
    ['KBRIDGE_SOURCE_PORT', '80', /KBRIDGE_SOURCE_PORT.*1024 to 65533/],
    ['KBRIDGE_TARGET_PORT', '65535', /KBRIDGE_TARGET_PORT.*1024 to 65533/],
    ['KBRIDGE_TARGET_PORT', '29092.5', /KBRIDGE_TARGET_PORT.*integer/],
    ['KBRIDGE_KAFKA_VERSION', 'latest', /KBRIDGE_KAFKA_VERSION.*"3\.9\.2" or "4\.1\.1"/],
    ['KBRIDGE_BROKER_HEAP', '512', /KBRIDGE_BROKER_HEAP.*heap size/],
  ])('rejects %s=%s with an error naming the variable and the expectation', (name, value, message) => {
    // Act
    const act = () => resolveLocalSettings({ [name]: value });

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(message);
  });

  it('rejects overlapping cluster port ranges', () => {
    // Act
    const act = () => resolveLocalSettings({ KBRIDGE_SOURCE_PORT: '30000', KBRIDGE_TARGET_PORT: '30002' });

    // Assess
    expect(act).toThrow(/KBRIDGE_SOURCE_PORT \(30000\) and KBRIDGE_TARGET_PORT \(30002\) overlap/);
  });

  it('rejects a moto port inside a cluster range', () => {
    // Act
    const act = () => resolveLocalSettings({ KBRIDGE_MOTO_PORT: '19093' });

    // Assess
    expect(act).toThrow(/KBRIDGE_MOTO_PORT \(19093\) falls inside KBRIDGE_SOURCE_PORT's range 19092-19094/);
  });
});

describe('brokerProperties', () => {
  it('describes a combined KRaft node with PLAINTEXT, SCRAM-SHA-512 and controller listeners on loopback', () => {
    // Act
    const props = parseProperties(brokerProperties({ ports: portsFrom(19092), dataDir: '/data/source' }));

    // Assess
    expect(props.get('process.roles')).toBe('broker,controller');
    expect(props.get('controller.quorum.voters')).toBe('1@127.0.0.1:19094');
    expect(props.get('listeners')).toBe(
      'PLAINTEXT://127.0.0.1:19092,SASL_PLAINTEXT://127.0.0.1:19093,CONTROLLER://127.0.0.1:19094',
    );
    expect(props.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19092,SASL_PLAINTEXT://127.0.0.1:19093');
    expect(props.get('inter.broker.listener.name')).toBe('PLAINTEXT');
    expect(props.get('sasl.enabled.mechanisms')).toBe('SCRAM-SHA-512');
    expect(props.get('listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config')).toContain('ScramLoginModule required;');
    expect(props.get('log.dirs')).toBe('/data/source');
  });

  it('sizes the cluster for one broker and keeps automatic topic creation off', () => {
    // Act
    const props = parseProperties(brokerProperties({ ports: portsFrom(29092), dataDir: '/d' }));

    // Assess
    expect(props.get('auto.create.topics.enable')).toBe('false');
    expect(props.get('num.partitions')).toBe('1');
    expect(props.get('offsets.topic.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.min.isr')).toBe('1');
    expect(props.get('group.initial.rebalance.delay.ms')).toBe('0');
  });
});

describe('newClusterRecord', () => {
  it('generates a 16-byte base64url cluster id and a hex password that --add-scram accepts unquoted', () => {
    // Act
    const a = newClusterRecord('source', '3.9.2', portsFrom(19092));
    const b = newClusterRecord('source', '3.9.2', portsFrom(19092));

    // Assess
    expect(Buffer.from(a.clusterId, 'base64url')).toHaveLength(16);
    expect(a.password).toMatch(/^[0-9a-f]{32}$/);
    expect(a.password).not.toBe(b.password);
    expect(scramFormatArgument(a)).toBe(`SCRAM-SHA-512=[name=kbridge,password=${a.password}]`);
  });
});

describe('Kafka distribution', () => {
  it('resolves broker, tools, clients, MirrorMaker 2 and reload4j logging for 3.9', () => {
    // Act
    const ids = kafkaArtifacts('3.9.2').map((a) => `${a.groupId}:${a.artifactId}:${a.version}`);

    // Assess
    expect(ids).toEqual([
      'org.apache.kafka:kafka_2.13:3.9.2',
      'org.apache.kafka:kafka-tools:3.9.2',
      'org.apache.kafka:kafka-clients:3.9.2',
      'org.apache.kafka:connect-mirror:3.9.2',
      'org.apache.kafka:connect-runtime:3.9.2',
      'ch.qos.reload4j:reload4j:1.2.25',
      'org.slf4j:slf4j-reload4j:1.7.36',
    ]);
  });

  it('uses log4j2 for 4.x, both in the artifacts and in the logging configuration', () => {
    // Act
    const ids = kafkaArtifacts('4.1.1').map((a) => a.artifactId);
    const config = loggingConfig('4.1.1', 'WARN', 'stderr');

    // Assess
    expect(ids).toContain('log4j-core');
    expect(ids).toContain('log4j-slf4j-impl');
    expect(ids).not.toContain('reload4j');
    expect(config).toContain('appender.console.target = SYSTEM_ERR');
    expect(loggingSystemProperties('4.1.1', '/x')).toEqual(['-Dlog4j2.configurationFile=/x']);
    expect(loggingSystemProperties('3.9.2', '/x')).toEqual(['-Dlog4j.configuration=file:/x']);
  });

  it('writes a pom that lists every artifact as a dependency', () => {
    // Act
    const pom = kafkaPom('3.9.2');

    // Assess
    expect(pom.match(/<dependency>/g)).toHaveLength(kafkaArtifacts('3.9.2').length);
    expect(pom).toContain('<artifactId>connect-mirror</artifactId><version>3.9.2</version>');
    expect(kafkaLibDir('/cache', '3.9.2')).toBe('/cache/kafka-3.9.2/lib');
  });

  it('pins moto with the extras of every AWS service the project calls', () => {
    // Act
    const requirement = motoRequirement('5.1.22');

    // Assess
    expect(requirement).toMatch(/^moto\[server,.*\]==5\.1\.22$/);
    for (const extra of ['sqs', 'sns', 'events', 'kinesis', 's3', 'dynamodb', 'cloudwatch', 'secretsmanager', 'ssm', 'stepfunctions']) {
      expect(requirement).toContain(extra);
    }
  });
});
