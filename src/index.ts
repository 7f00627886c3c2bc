export * from './tensor/index.js';
export * from './nn/index.js';
