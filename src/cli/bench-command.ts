import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { markdownTable, saveReport, type BenchReport } from '../bench/report.js';
import { runRuntimeSuite } from '../bench/runtime-suite.js';
import { runClusterSuite } from '../bench/cluster-suite.js';
import { runKernelsSuite } from '../bench/kernels-suite.js';
import { runOtpSuite } from '../bench/otp-suite.js';
import { runPolyglotSuite } from '../bench/polyglot-suite.js';
import { runWorldsSuite } from '../bench/worlds-suite.js';
import { runPipelineSuite } from '../bench/pipeline-suite.js';
import { runRemoteSuite } from '../bench/remote-suite.js';
import { runShardSuite } from '../bench/shard-suite.js';
import { runTuplespaceSuite, type SuiteOptions } from '../bench/tuplespace-suite.js';
import { parseCommandArgs } from './parse.js';

/** The benchmark suites (docs and results in native-bench/results/). */
const SUITES: Record<string, (options: SuiteOptions) => Promise<BenchReport>> = {
  tuplespace: runTuplespaceSuite,
  runtime: runRuntimeSuite,
  shard: runShardSuite,
  kernels: runKernelsSuite,
  remote: runRemoteSuite,
  otp: runOtpSuite,
  cluster: runClusterSuite,
  polyglot: runPolyglotSuite,
  worlds: runWorldsSuite,
  pipeline: runPipelineSuite,
};

const HELP = `usage: plexspaces bench <suite|all> [options]

suites: ${Object.keys(SUITES).join(', ')}, all

options:
  --quick          a shorter run (each suite under a minute)
  --json FILE      write the JSON report to FILE (and FILE.md) instead of the results directory
  --out DIR        results directory (default native-bench/results)
  --no-save        print only
  -h, --help       this text
`;

export async function benchCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      json: { type: 'string' },
      out: { type: 'string' },
      'no-save': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const [suite] = positionals;
  if (suite === undefined) throw new UsageError(`bench needs a suite\n\n${HELP}`);
  const names = suite === 'all' ? Object.keys(SUITES) : [suite];
  for (const name of names) {
    const run = SUITES[name];
    if (run === undefined) throw new UsageError(`unknown suite "${name}" (available: ${Object.keys(SUITES).join(', ')}, all)`);
    process.stderr.write(`bench ${name}${values.quick ? ' (quick)' : ''}\n`);
    const report = await run({ quick: values.quick ?? false, log: (line) => process.stderr.write(`${line}\n`) });
    process.stdout.write(markdownTable(report));
    if (!values['no-save']) {
      const files = saveReport(report, resolve(values.out ?? 'native-bench/results'), values.json && resolve(values.json));
      process.stderr.write(`wrote ${files.join(', ')}\n`);
    }
  }
  return 0;
}
