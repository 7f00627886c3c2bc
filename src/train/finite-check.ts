/**
 * The periodic check that an agent's numbers are all finite: every parameter of every
 * network (targets included) and both Adam moments of every optimiser, read in place in
 * the arena (nothing allocated per element). A NaN can enter the weights without any loss
 * turning NaN (ReLU maps NaN to 0), so the losses alone do not prove a run healthy. The
 * training run calls this before every checkpoint (so no checkpoint holds a NaN) and at
 * every evaluation.
 */
import type { Agent } from '../algos/agent.js';
import { describeValue, firstNonFinite, NonFiniteError } from '../core/non-finite.js';
import type { Tensor } from '../tensor/tensor.js';

/** Throws a NonFiniteError naming the network, the tensor, the element and `when` (e.g. "at step 4000") on the first non-finite value. */
export function checkAgentFinite(agent: Agent, when: string): void {
  const data = agent.engine.backend.arena.data;
  const check = (network: string, what: string, t: Tensor): void => {
    const i = firstNonFinite(data, t.offset, t.offset + t.size);
    if (i < 0) return;
    throw new NonFiniteError(`network '${network}': ${what}[${i - t.offset}] is ${describeValue(data[i]!)} ${when}; ` +
      'the weights are poisoned (a diverging update or bad input numbers), so the run stops without writing a checkpoint');
  };
  for (const [network, module] of Object.entries(agent.modules())) {
    for (const [name, p] of module.namedParameters()) check(network, `parameter ${name}`, p);
  }
  for (const [network, { module, optimizer }] of Object.entries(agent.optimizers())) {
    const { m, v } = optimizer.moments();
    module.namedParameters().forEach(([name], i) => {
      check(network, `Adam first moment of ${name}`, m[i]!);
      check(network, `Adam second moment of ${name}`, v[i]!);
    });
  }
}
