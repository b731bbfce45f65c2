// Regenerates schemas/*.json from the zod definitions (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { publishedSchemas } from '../dist/report/json-schemas.js';

for (const [name, schema] of Object.entries(publishedSchemas())) {
  writeFileSync(new URL(`../schemas/${name}`, import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote schemas/${name}`);
}
