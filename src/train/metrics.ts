/**
 * Run metrics under fixed prefixes (charts/, losses/, eval/, perf/): one JSON object
 * per line in metrics.jsonl and the same values in long form (step,metric,value) in
 * metrics.csv. On resume, lines past the checkpoint's step are dropped so the logs
 * read as one uninterrupted run. Every row also goes to the run's TensorBoard event
 * file under the same names.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TensorBoardWriter } from './tensorboard.js';

export class MetricsLog {
  readonly jsonlPath: string;
  readonly csvPath: string;
  readonly tensorboard: TensorBoardWriter;

  constructor(runDir: string) {
    this.jsonlPath = join(runDir, 'metrics.jsonl');
    this.csvPath = join(runDir, 'metrics.csv');
    if (!existsSync(this.csvPath)) writeFileSync(this.csvPath, 'step,metric,value\n');
    if (!existsSync(this.jsonlPath)) writeFileSync(this.jsonlPath, '');
    this.tensorboard = new TensorBoardWriter(runDir);
  }

  write(step: number, values: Record<string, number>): void {
    appendFileSync(this.jsonlPath, JSON.stringify({ step, ...values }) + '\n');
    appendFileSync(this.csvPath, Object.entries(values).map(([k, v]) => `${step},${k},${v}\n`).join(''));
    this.tensorboard.scalars(step, values);
  }

  /** Drop everything logged after `step` (used when resuming from a checkpoint at that step). */
  truncateAfter(step: number): void {
    const keep = (lines: string[], stepOf: (l: string) => number): string => lines.filter((l) => l !== '' && stepOf(l) <= step).map((l) => l + '\n').join('');
    const jsonl = readFileSync(this.jsonlPath, 'utf8').split('\n');
    writeFileSync(this.jsonlPath, keep(jsonl, (l) => (JSON.parse(l) as { step: number }).step));
    const [header, ...rows] = readFileSync(this.csvPath, 'utf8').split('\n');
    writeFileSync(this.csvPath, `${header}\n${keep(rows, (l) => Number(l.split(',')[0]))}`);
    this.tensorboard.truncateAfter(step);
  }

  /** Every logged row (for tests and `hyperrl eval`). */
  rows(): ({ step: number } & Record<string, number>)[] {
    return readFileSync(this.jsonlPath, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { step: number } & Record<string, number>);
  }
}
