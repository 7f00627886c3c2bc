/**
 * The public path of Tensor and the shape helpers. They are defined in engine.ts:
 * a tensor and its engine refer to each other, and one file keeps the import graph acyclic.
 */
export { Tensor, fmtShape, sameShape, shapeSize, type Shape, type TapeNode } from './engine.js';
