// Read by test/architecture.test.ts, never run: one import of every form the layer checks must see.
import { a } from './single.js';
import { b } from './double.js';
import './side-effect.js';
import type { C } from './type-only.js';
export { d } from './re-export.js';
export * from './star.js';
const e = await import('./dynamic.js');
const f = await import(`./template.js`);
import g = require('./required.js');
type H = import('./import-type.js').H;
const name = 'x';
const i = await import(`./${name}.js`);
export { a, b, e, f, g, i };
export type { C, H };
