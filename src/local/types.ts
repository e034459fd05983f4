/**
 * The `kbridge local up --json` contract: tests and scripts rely on this shape.
 *
 * @example
 * ```json
 * { "source": { "bootstrapServers": "127.0.0.1:19092",
 *               "saslScram512": { "bootstrapServers": "127.0.0.1:19093", "username": "kbridge", "password": "..." } },
 *   "target": { ... }, "kafkaVersion": "3.9.2" }
 * ```
 */
export interface LocalClusterInfo {
  /** PLAINTEXT listener(s), "host:port,...". */
  bootstrapServers: string;
  saslScram512: { bootstrapServers: string; username: string; password: string };
}

export type ClusterName = 'source' | 'target';

export interface LocalClustersInfo {
  source: LocalClusterInfo;
  target: LocalClusterInfo;
  kafkaVersion: string;
}

/** Where the local moto server listens (tests and the local AWS adapters). */
export interface LocalAwsInfo {
  endpoint: string;
  region: string;
}
