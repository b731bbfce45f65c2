import Compare from './compare.js';
import Convert from './convert.js';
import Doctor from './doctor.js';
import Inspect from './inspect.js';
import List from './list.js';
import Merge from './merge.js';
import Plan from './plan.js';
import Report from './report.js';
import Run from './run.js';
import Score from './score.js';
import Serve from './serve.js';
import SuiteRun from './suite-run.js';
import Upgrade from './upgrade.js';

/** oclif's explicit command map: commands are listed here, not discovered from the file system. */
export const commands = {
  'run': Run,
  'score': Score,
  'serve': Serve,
  'report': Report,
  'compare': Compare,
  'plan': Plan,
  'convert': Convert,
  'list': List,
  'merge': Merge,
  'doctor': Doctor,
  'inspect': Inspect,
  'suite:run': SuiteRun,
  'upgrade': Upgrade,
};
