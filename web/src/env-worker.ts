/** The vector env worker of the bundle: MuJoCo's files configured, then hyperrl's worker (same protocol as on Node). */
import './runtime.js';
import 'hyperrl/vector-env-worker';
