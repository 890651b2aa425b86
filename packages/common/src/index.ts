export * from './errors.js';
export * from './ids.js';
export * from './config.js';
export * from './logger.js';
export * from './metrics.js';
export * from './lineDecoder.js';
export * from './rpcCodes.js';
export * from './proxyProtocol.js';
