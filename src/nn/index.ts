export * from './random.js';
export * from './init.js';
export * from './hyper-init.js';
export * from './safetensors.js';
