/**
 * Run metrics under fixed prefixes (charts/, losses/, eval/, perf/): one JSON object
 * per line in metrics.jsonl and the same values in long form (step,metric,value) in
 * metrics.csv.
 *
 * The logs match the checkpoint: each checkpoint records how far both files had got
 * (bytes and complete rows, `extent()`), and a resume cuts them back to exactly that
 * (`cutBack`), so a partial line left by a kill or a full disk disappears and no row is
 * ever logged twice. A damaged line found when reading is an error naming the file and line.
 * Every row also goes to the run's TensorBoard event file under the same names; a resume cuts
 * that file back to the checkpoint's step (its records carry steps and checksums).
 */
import { join } from 'node:path';
import { nodeRunFiles, writeFileAtomic, type RunFiles } from './run-files.js';
import { TensorBoardWriter } from './tensorboard.js';

/** How far a log file had got: its size and its complete (newline-terminated) lines. */
export interface FileExtent {
  bytes: number;
  rows: number;
}

export interface MetricsExtent {
  jsonl: FileExtent;
  csv: FileExtent;
}

export type MetricsRow = { step: number } & Record<string, number>;

const CSV_HEADER = 'step,metric,value\n';

/** A damaged line of a metrics file; the message names the file and the line. */
export class MetricsError extends Error {
  override name = 'MetricsError';
}

const countLines = (text: string): number => {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

/** One line of metrics.jsonl as a row, or an error naming the file and line. */
function parseJsonlLine(file: string, lineNumber: number, line: string): MetricsRow {
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch (e) {
    throw new MetricsError(`${file}:${lineNumber}: damaged metrics line (${(e as Error).message}): ${line.slice(0, 80)}`);
  }
  if (typeof row !== 'object' || row === null || !Number.isInteger((row as { step: unknown }).step)) {
    throw new MetricsError(`${file}:${lineNumber}: damaged metrics line (not an object with an integer step): ${line.slice(0, 80)}`);
  }
  return row as MetricsRow;
}

/** The step of one metrics.csv row, or an error naming the file and line. */
function csvRowStep(file: string, lineNumber: number, line: string): number {
  const fields = line.split(',');
  const step = Number(fields[0]);
  if (fields.length !== 3 || !/^\d+$/.test(fields[0]!) || fields[1] === '' || fields[2] === '') {
    throw new MetricsError(`${file}:${lineNumber}: damaged metrics row (expected step,metric,value): ${line.slice(0, 80)}`);
  }
  return step;
}

/**
 * The rows of a run's metrics.jsonl. An unterminated last line is a row still being written
 * (or cut off by a kill) and is left out; any other damaged line is an error naming the file and line.
 */
export function readMetricsRows(runDir: string, files: RunFiles = nodeRunFiles): MetricsRow[] {
  const file = join(runDir, 'metrics.jsonl');
  const lines = new TextDecoder().decode(files.readFile(file)).split('\n');
  lines.pop(); // after the last newline: '' or an unterminated line
  return lines.map((line, i) => parseJsonlLine(file, i + 1, line));
}

export class MetricsLog {
  readonly jsonlPath: string;
  readonly csvPath: string;
  readonly tensorboard: TensorBoardWriter;
  private readonly current: MetricsExtent;

  constructor(private readonly runDir: string, private readonly files: RunFiles = nodeRunFiles) {
    this.jsonlPath = join(runDir, 'metrics.jsonl');
    this.csvPath = join(runDir, 'metrics.csv');
    if (!files.exists(this.csvPath)) writeFileAtomic(files, this.csvPath, CSV_HEADER);
    if (!files.exists(this.jsonlPath)) writeFileAtomic(files, this.jsonlPath, '');
    this.current = { jsonl: this.measure(this.jsonlPath), csv: this.measure(this.csvPath) };
    this.tensorboard = new TensorBoardWriter(runDir);
  }

  write(step: number, values: Record<string, number>): void {
    this.append('jsonl', this.jsonlPath, JSON.stringify({ step, ...values }) + '\n', 1);
    const entries = Object.entries(values);
    this.append('csv', this.csvPath, entries.map(([k, v]) => `${step},${k},${v}\n`).join(''), entries.length);
    this.tensorboard.scalars(step, values);
  }

  /** How far both files have got (recorded in each checkpoint). */
  extent(): MetricsExtent {
    return { jsonl: { ...this.current.jsonl }, csv: { ...this.current.csv } };
  }

  /** Flush both files to disk (before a checkpoint records their extent). */
  flush(): void {
    this.files.flush(this.jsonlPath);
    this.files.flush(this.csvPath);
  }

  /**
   * Cut both files back to a checkpoint's extent: what was logged after it (complete rows or a
   * partial line) goes. A file shorter than the extent lost rows the checkpoint had seen, and one
   * whose cut does not end on the recorded row count was changed: both are errors naming the file.
   */
  cutBack(extent: MetricsExtent, step: number): void {
    this.cutTo(extent, `the checkpoint at step ${step}`);
    this.tensorboard.truncateAfter(step);
  }

  /** Cut both files back to `extent`, which `reference` (the checkpoint at step N, …) recorded. */
  private cutTo(extent: MetricsExtent, reference: string): void {
    for (const [which, path] of [['jsonl', this.jsonlPath], ['csv', this.csvPath]] as const) {
      const want = extent[which];
      const size = this.files.size(path);
      if (size < want.bytes) throw new MetricsError(`${path}: ${size} bytes, but ${reference} recorded ${want.bytes}: rows logged before it are missing`);
      if (size > want.bytes) this.files.truncate(path, want.bytes);
      const text = new TextDecoder().decode(this.files.readFile(path));
      const rows = countLines(text);
      if (rows !== want.rows || (text.length > 0 && !text.endsWith('\n'))) {
        throw new MetricsError(`${path}: the first ${want.bytes} bytes hold ${rows} complete rows${text.endsWith('\n') ? '' : ' and a partial one'}, but ${reference} recorded ${want.rows}: the file was changed`);
      }
      this.current[which] = { bytes: want.bytes, rows };
    }
  }

  /**
   * Cut both files back to the rows logged at or before `step`, for checkpoints written before
   * extents were recorded (format 1): an unterminated last line goes too, any other damaged
   * line is an error naming the file and line. The files are rewritten atomically.
   */
  cutBackToStep(step: number): void {
    const read = (path: string): string[] => {
      const lines = new TextDecoder().decode(this.files.readFile(path)).split('\n');
      lines.pop();
      return lines;
    };
    const keepJsonl = read(this.jsonlPath).filter((l, i) => parseJsonlLine(this.jsonlPath, i + 1, l).step <= step);
    const [header = CSV_HEADER.trimEnd(), ...rows] = read(this.csvPath);
    const keepCsv = rows.filter((l, i) => csvRowStep(this.csvPath, i + 2, l) <= step);
    writeFileAtomic(this.files, this.jsonlPath, keepJsonl.map((l) => l + '\n').join(''));
    writeFileAtomic(this.files, this.csvPath, [header, ...keepCsv].map((l) => l + '\n').join(''));
    this.current.jsonl = this.measure(this.jsonlPath);
    this.current.csv = this.measure(this.csvPath);
    this.tensorboard.truncateAfter(step);
  }

  /** Empty both logs (a run restarted from step 0 because it was stopped before its first checkpoint). */
  reset(): void {
    this.cutTo({ jsonl: { bytes: 0, rows: 0 }, csv: { bytes: CSV_HEADER.length, rows: 1 } }, 'the start of the run');
    this.tensorboard.truncateAfter(-1); // the file-version record alone
  }

  /** Every logged row (for tests and `hyperrl eval`). */
  rows(): MetricsRow[] {
    return readMetricsRows(this.runDir, this.files);
  }

  private append(which: 'jsonl' | 'csv', path: string, text: string, rows: number): void {
    const bytes = new TextEncoder().encode(text);
    this.files.appendFile(path, bytes);
    this.current[which].bytes += bytes.length;
    this.current[which].rows += rows;
  }

  private measure(path: string): FileExtent {
    const bytes = this.files.readFile(path);
    return { bytes: bytes.length, rows: countLines(new TextDecoder().decode(bytes)) };
  }
}
