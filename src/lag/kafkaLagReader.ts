import type { KafkaAdmin, KafkaClient } from '../kafka/port';
import type { LagReader, NextRecordRequest } from './port';
import type { CommittedOffset, GroupDescription, NextRecord, PartitionOffsets } from './types';

export interface KafkaLagReaderOptions {
  /** Cluster name for results and metrics. */
  cluster: string;
}

/**
 * {@link LagReader} over the Kafka port's admin ({@link KafkaAdmin}), whichever adapter is behind it. The adapter
 * batches the requests per broker: DescribeGroups per coordinator, one OffsetFetch per group, three ListOffsets per
 * partition leader (earliest, high watermark, last stable offset) and one read_committed Fetch per leader per round
 * for the next record of all lagging partitions.
 *
 * @example
 * ```ts
 * const reader = await KafkaLagReader.connect(kafka, { cluster: 'source' });
 * try { console.log(await computeLag(reader, { groups: ['orders'] })); } finally { await reader.close(); }
 * ```
 */
export class KafkaLagReader implements LagReader {
  public readonly cluster: string;

  /** Read through `admin`; {@link close} closes it. */
  public constructor(
    private readonly admin: KafkaAdmin,
    options: KafkaLagReaderOptions,
  ) {
    this.cluster = options.cluster;
  }

  /** Open an admin on `kafka`; call {@link close} when done. */
  public static async connect(kafka: KafkaClient, options: KafkaLagReaderOptions): Promise<KafkaLagReader> {
    return new KafkaLagReader(await kafka.admin(), options);
  }

  public async close(): Promise<void> {
    await this.admin.close().catch(() => undefined);
  }

  public listGroups(): Promise<{ groupId: string; protocolType: string }[]> {
    return this.admin.listGroups();
  }

  public describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    return this.admin.describeGroups(groupIds);
  }

  public async fetchCommittedOffsets(groupIds: string[]): Promise<Map<string, CommittedOffset[] | Error>> {
    const answers = await this.admin.fetchGroupsCommittedOffsets(groupIds);
    const result = new Map<string, CommittedOffset[] | Error>();
    for (const [groupId, answer] of answers) {
      result.set(
        groupId,
        answer instanceof Error ? answer : answer.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset === null ? null : BigInt(p.offset) })),
      );
    }
    return result;
  }

  public fetchPartitionOffsets(topics: string[]): Promise<{ partitions: PartitionOffsets[]; missingTopics: string[] }> {
    return this.admin.fetchPartitionOffsets(topics);
  }

  public fetchNextRecords(positions: NextRecordRequest[]): Promise<NextRecord[]> {
    return this.admin.fetchNextRecords(positions);
  }
}
