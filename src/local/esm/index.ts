export { loadEsmConfigFile, loadServerlessFile, defaultConsumerGroupId, type EsmMappingConfig, type OnFailureDestination } from './config';
export { EsmEmulator } from './EsmEmulator';
export { EsmMapping, MappingStates, type EsmRuntimeOptions, type InvocationReport, type MappingState, type MappingStatus } from './EsmMapping';
export { loadHandler, type LambdaHandler } from './handlerLoader';
export { createLambdaContext, type EmulatedLambdaContext } from './lambdaContext';
