import type { SinkDestination, SinkKind } from './types';
import { dynamoDbDestination } from './dynamodb';
import { eventBridgeDestination } from './eventbridge';
import { kinesisDestination } from './kinesis';
import { s3Destination } from './s3';
import { snsDestination } from './sns';
import { sqsDestination } from './sqs';

export type { SinkClients, SinkDestination } from './types';

/**
 * Every destination by kind (the CLI, tests). A Lambda handler imports its one destination instead, so that its
 * bundle does not carry the other five SDK clients.
 *
 * @example
 * ```ts
 * const lambda = createSinkLambda(sinkDestinations[kind], env);
 * ```
 */
export const sinkDestinations: { [K in SinkKind]: SinkDestination<K> } = {
  sqs: sqsDestination,
  sns: snsDestination,
  eventbridge: eventBridgeDestination,
  kinesis: kinesisDestination,
  s3: s3Destination,
  dynamodb: dynamoDbDestination,
};
