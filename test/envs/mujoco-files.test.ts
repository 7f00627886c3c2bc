import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { MODEL_FILES } from '../../src/envs/mujoco/engine.js';

describe('MuJoCo model files', () => {
  it('MODEL_FILES lists exactly the MJCF files in src/envs/mujoco/assets (loadMujoco loads these, also in browsers)', () => {
    const onDisk = readdirSync(new URL('../../../src/envs/mujoco/assets/', import.meta.url)).filter((f) => f.endsWith('.xml')).sort();
    assert.deepEqual([...MODEL_FILES].sort(), onDisk);
  });
});
