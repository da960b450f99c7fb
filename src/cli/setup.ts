// `gphotos-backup setup`: prepares a production namespace: registers the search attributes the
// Web UI filters backups by (GphotosAccount, GphotosDestination, GphotosSource, all Keyword).
// `dev` does this for its own server; a cluster needs it once per namespace.
import { SEARCH_ATTRIBUTES } from '../workflows/messages.js';
import { flag, parse } from './args.js';
import { EXIT } from './exit.js';
import { registerAttributesHint } from './start.js';
import { connect } from './target.js';

/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD */
const KEYWORD = 2;

export const SETUP_HELP = `Usage: gphotos-backup setup [--json]

Register gphotos-backup's search attributes (${Object.values(SEARCH_ATTRIBUTES).join(', ')}: Keyword) on
the namespace TEMPORAL_NAMESPACE of the Temporal server TEMPORAL_ADDRESS, so the Web UI and
\`temporal workflow list --query\` can filter backups by account, destination and source. Attributes
already there are kept; running it again changes nothing. \`gphotos-backup dev\` does this itself.

The same with the Temporal CLI:
  ${registerAttributesHint()}
On Temporal Cloud, add them in the Cloud UI or with tcld:
  tcld namespace search-attributes add --namespace NS.ACCOUNT ${Object.values(SEARCH_ATTRIBUTES).map((n) => `--search-attribute "${n}=Keyword"`).join(' ')}

Options:
  --json                print machine-readable output
  -h, --help            show this help`;

export async function setupCommand(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, { json: { type: 'boolean' } });
  if (flag(parsed, 'help')) {
    console.log(SETUP_HELP);
    return EXIT.ok;
  }
  const { client, target, close } = await connect();
  try {
    const operator = client.connection.operatorService;
    const existing = (await operator.listSearchAttributes({ namespace: target.namespace })).customAttributes ?? {};
    const missing = Object.values(SEARCH_ATTRIBUTES).filter((name) => !(name in existing));
    if (missing.length > 0) {
      await operator.addSearchAttributes({ namespace: target.namespace, searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])) });
    }
    const present = Object.values(SEARCH_ATTRIBUTES).filter((name) => !missing.includes(name));
    if (flag(parsed, 'json')) console.log(JSON.stringify({ namespace: target.namespace, added: missing, alreadyThere: present }));
    else console.log(`Namespace ${target.namespace}: ${missing.length > 0 ? `registered ${missing.join(', ')}` : 'nothing to do'}${present.length > 0 ? `; already there: ${present.join(', ')}` : ''}.`);
    return EXIT.ok;
  } finally {
    await close();
  }
}
