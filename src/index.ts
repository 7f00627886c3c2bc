export * from './tensor/index.js';
export * from './nn/index.js';
export * from './core/random.js';
