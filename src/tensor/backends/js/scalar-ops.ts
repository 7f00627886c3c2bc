/** Scalar definitions of the elementwise ops: the reference semantics for every backend. */
import { Act, Binary, Unary, type ActCode, type BinaryCode, type UnaryCode } from '../../kernels.js';

export function activate(act: ActCode, v: number): number {
  switch (act) {
    case Act.relu: return v > 0 ? v : 0;
    case Act.tanh: return Math.tanh(v);
    case Act.elu: return v > 0 ? v : Math.expm1(v);
    case Act.sigmoid: return 1 / (1 + Math.exp(-v));
    default: return v;
  }
}

/** act'(x) expressed through y = act(x), so backward needs only the saved output. */
export function activationGradFromOutput(act: ActCode, y: number): number {
  switch (act) {
    case Act.relu: return y > 0 ? 1 : 0;
    case Act.tanh: return 1 - y * y;
    case Act.elu: return y > 0 ? 1 : y + 1;
    case Act.sigmoid: return y * (1 - y);
    default: return 1;
  }
}

export function unaryOp(op: UnaryCode, v: number): number {
  switch (op) {
    case Unary.neg: return -v;
    case Unary.exp: return Math.exp(v);
    case Unary.log: return Math.log(v);
    case Unary.tanh: return Math.tanh(v);
    case Unary.relu: return v > 0 ? v : 0;
    case Unary.elu: return v > 0 ? v : Math.expm1(v);
    case Unary.sigmoid: return 1 / (1 + Math.exp(-v));
    // log(1 + e^v) without overflow for large v or loss of precision for very negative v.
    case Unary.softplus: return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
    case Unary.square: return v * v;
    case Unary.sqrt: return Math.sqrt(v);
    case Unary.abs: return Math.abs(v);
    default: throw new RangeError(`unknown unary op code ${op}`);
  }
}

export function binaryOp(op: BinaryCode, a: number, b: number): number {
  switch (op) {
    case Binary.add: return a + b;
    case Binary.sub: return a - b;
    case Binary.mul: return a * b;
    case Binary.div: return a / b;
    case Binary.max: return a >= b || Number.isNaN(a) ? a : b;
    case Binary.min: return a <= b || Number.isNaN(a) ? a : b;
    case Binary.sqdiff: return (a - b) * (a - b);
    default: throw new RangeError(`unknown binary op code ${op}`);
  }
}
