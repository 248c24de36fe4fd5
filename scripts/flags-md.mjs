#!/usr/bin/env node
// Prints the README's flag tables from the command specs, so the README stays true to the code.
const names = ['init', 'verify', 'cleanup', 'status', 'sandbox', 'demo'];
const cell = (s) => s.replace(/\|/g, '\\|');
const table = (opts) =>
  ['| flag | meaning |', '| --- | --- |', ...Object.entries(opts).map(([k, o]) => `| ${cell(`\`--${k}${o.placeholder ? ` <${o.placeholder}>` : ''}\``)}${o.short ? ` (\`-${o.short}\`)` : ''} | ${cell(o.description)} |`)].join('\n');
const { GLOBAL_OPTIONS } = await import('../dist/src/commands/global.js');
console.log(`### Global flags\n\n${table(GLOBAL_OPTIONS)}\n`);
for (const n of names) {
  const { command } = await import(`../dist/src/commands/${n}.js`);
  console.log(`### \`agentcore-auth ${n}\`\n\n${command.summary}.\n\n\`${command.usage}\`\n\n${table(command.options)}\n`);
}
