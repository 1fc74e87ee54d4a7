// A small fixed-width table printer shared by the benchmarks, plus the report type each benchmark returns.

/** PASS when a target is met, MISS when not, "-" for figures that have no target (information only). */
export type Verdict = "PASS" | "MISS" | "-";

/** What one benchmark hands back to bench/run.ts. */
export interface BenchReport {
  id: string;
  title: string;
  headers: string[];
  rows: string[][];
  /** One verdict per row (the row's PASS/MISS column). */
  verdicts: Verdict[];
  /** Each row's target as text (for the JSON lines); by default the cells of the columns whose header says "target". */
  targets?: string[];
  notes?: string[];
}

/** PASS when `value <= target`. */
export function atMost(value: number, target: number): Verdict {
  return Number.isFinite(value) && value <= target ? "PASS" : "MISS";
}

/** MISS when any verdict misses, PASS when at least one passes, "-" when none applies. */
export function combine(...verdicts: Verdict[]): Verdict {
  if (verdicts.includes("MISS")) return "MISS";
  return verdicts.includes("PASS") ? "PASS" : "-";
}

/** Formats a number with a fixed number of decimals and thousands separators. */
export function num(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Formats a byte count as MB (two decimals). */
export function mb(bytes: number): string {
  return `${num(bytes / (1024 * 1024), 2)} MB`;
}

/** Renders a table: the first column left-aligned, the others right-aligned. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const cell = (text: string, column: number) =>
    column === 0 ? text.padEnd(widths[column]!) : text.padStart(widths[column]!);
  const line = (cells: string[]) => `| ${cells.map((text, column) => cell(text, column)).join(" | ")} |`;
  const rule = `|${widths.map((width, column) => (column === 0 ? ":" : "-") + "-".repeat(width) + (column === 0 ? "-" : ":")).join("|")}|`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

/** Prints a benchmark's report: title, table (with the PASS/MISS column appended) and notes. */
export function printReport(report: BenchReport): void {
  const headers = [...report.headers, "result"];
  const rows = report.rows.map((row, i) => [...row, report.verdicts[i] ?? "-"]);
  console.log(`\n${report.id}  ${report.title}\n`);
  console.log(renderTable(headers, rows));
  for (const note of report.notes ?? []) console.log(`  ${note}`);
}

/** One measured row as a JSON object (what `npm run bench -- --json` prints, one per line). */
export interface BenchJsonRow {
  id: string;
  benchmark: string;
  /** The row's first cell (its label or size). */
  name: string;
  /** Every other cell under its column header: a number with its unit when the cell is a figure, else the text. */
  figures: Record<string, { value: number; unit?: string } | { text: string }>;
  target?: string;
  result: Verdict;
}

const UNIT_IN_HEADER = /(µs\/\w+|ms|KB|MB|B\/\w+|\w+\/s|WRU(?:\/\w+)?)\b/u;

/** A cell as a figure: "1,117.7 KB" is 1117.7 KB; "34.0" under "median ms" is 34 ms; text otherwise. */
export function figure(header: string, cell: string): { value: number; unit?: string } | { text: string } {
  const match = /^(-?[\d,]*\.?\d+)\s*(\S.*)?$/u.exec(cell.trim());
  if (!match) return { text: cell };
  const value = Number(match[1]!.replace(/,/g, ""));
  const unit = match[2] ?? UNIT_IN_HEADER.exec(header)?.[1];
  return unit === undefined ? { value } : { value, unit };
}

/** A report's rows as JSON objects, one per measured row. */
export function toJsonRows(report: BenchReport): BenchJsonRow[] {
  return report.rows.map((row, i) => {
    const figures: BenchJsonRow["figures"] = {};
    const targetCells: string[] = [];
    report.headers.forEach((header, column) => {
      const cell = row[column] ?? "";
      if (column === 0 || cell === "" || cell === "-") return;
      if (/^target|\btarget\b/iu.test(header) && !/^(verdict|result)$/iu.test(header)) {
        targetCells.push(/^target$/iu.test(header) ? cell : `${header}: ${cell}`);
        return;
      }
      if (/^(verdict|result)$/iu.test(header)) return;
      figures[header] = figure(header, cell);
    });
    const target = report.targets?.[i] ?? (targetCells.length > 0 ? targetCells.join("; ") : undefined);
    return {
      id: report.id,
      benchmark: report.title,
      name: row[0] ?? "",
      figures,
      ...(target === undefined || target === "" ? {} : { target }),
      result: report.verdicts[i] ?? "-",
    };
  });
}
