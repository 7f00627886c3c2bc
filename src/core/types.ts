/** A float buffer in either precision (float32 for learning, float64 for references and MuJoCo state). */
export type FloatArray = Float32Array | Float64Array;
