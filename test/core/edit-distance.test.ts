import { it } from 'node:test';
import assert from 'node:assert/strict';
import { closeMatches, damerauLevenshtein } from '../../src/core/edit-distance.js';

it('counts insertions, deletions, substitutions and adjacent swaps as one edit each', () => {
  assert.equal(damerauLevenshtein('', ''), 0);
  assert.equal(damerauLevenshtein('abc', ''), 3);
  assert.equal(damerauLevenshtein('kitten', 'sitting'), 3);
  assert.equal(damerauLevenshtein('total-steps', 'toatl-steps'), 1);
  assert.equal(damerauLevenshtein('ca', 'ac'), 1);
  // Unrestricted: a swapped pair may be edited again (restricted "optimal string alignment" says 3).
  assert.equal(damerauLevenshtein('ca', 'abc'), 2);
});

it('suggests the nearest candidates within a third of the length, nearest first', () => {
  const flags = ['total-steps', 'learning-starts', 'random-steps', 'eval-every', 'batch-size', 'actor-lr', 'critic-lr'];
  assert.deepEqual(closeMatches('totl-steps', flags), ['total-steps']);
  assert.deepEqual(closeMatches('laerning-starts', flags), ['learning-starts']);
  assert.deepEqual(closeMatches('batchsize', flags), ['batch-size']);
  // Substring matching suggested every *-lr flag for 'lr'; edit distance suggests none that far off.
  assert.deepEqual(closeMatches('steps', flags), []);
  assert.deepEqual(closeMatches('ACTOR-LR', flags, { normalize: (s) => s.toLowerCase() }), ['actor-lr']);
});
