import { Trans, useTranslation } from 'react-i18next';
import { i18n } from '../../i18n';

type Schema = Record<string, unknown>;

// In the app's language at the time of the call; the schema's own words (type names, formats) stay.
const say = i18n.getFixedT(null, 'servers');

const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);
const json = (value: unknown) => JSON.stringify(value);

/** A JSON Schema's type in words: "string", "number from 1 to 10", "one of "Text", "Blob"", "array of string". */
export function typeText(schema: Schema): string {
  const or = ` ${say('schema.or')} `;
  if (Array.isArray(schema.enum)) return say('schema.oneOf', { values: schema.enum.map(json).join(', ') });
  if ('const' in schema) return say('schema.exactly', { value: json(schema.const) });
  const variants = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : null;
  if (variants) return variants.filter(isSchema).map(typeText).join(or);
  if (typeof schema.$ref === 'string') return say('schema.as', { ref: schema.$ref });
  const type = schema.type;
  if (type === 'array') return isSchema(schema.items) ? say('schema.arrayOf', { type: typeText(schema.items) }) : say('schema.array');
  if (Array.isArray(type)) return type.map(String).join(or);
  if (typeof type !== 'string') return say('schema.any');
  return typeof schema.format === 'string' ? `${type} (${schema.format})` : type;
}

/** The limits a value must keep, in words: "1 to 10", "at most 200 characters", "matching ^[a-z]+$". */
function limits(schema: Schema): string[] {
  const out: string[] = [];
  const { minimum, maximum, minLength, maxLength, minItems, maxItems, pattern } = schema;
  if (typeof minimum === 'number' && typeof maximum === 'number') out.push(say('schema.range', { min: minimum, max: maximum }));
  else if (typeof minimum === 'number') out.push(say('schema.atLeast', { min: minimum }));
  else if (typeof maximum === 'number') out.push(say('schema.atMost', { max: maximum }));
  if (typeof minLength === 'number') out.push(say('schema.minChars', { count: minLength }));
  if (typeof maxLength === 'number') out.push(say('schema.maxChars', { count: maxLength }));
  if (typeof minItems === 'number') out.push(say('schema.minItems', { count: minItems }));
  if (typeof maxItems === 'number') out.push(say('schema.maxItems', { count: maxItems }));
  if (typeof pattern === 'string') out.push(say('schema.matching', { pattern }));
  if ('default' in schema) out.push(say('schema.default', { value: json(schema.default) }));
  return out;
}

/** The object's own properties, or its array items' when it is a list of objects. */
function propertiesOf(schema: Schema): { properties: Record<string, unknown>; required: string[] } | null {
  const target = schema.type === 'array' && isSchema(schema.items) ? schema.items : schema;
  if (!isSchema(target.properties) || Object.keys(target.properties).length === 0) return null;
  return { properties: target.properties, required: Array.isArray(target.required) ? target.required.map(String) : [] };
}

// Deep enough for what tools take; a deeper schema is in the raw JSON below the list.
const MAX_DEPTH = 4;

function PropertyList({ schema, depth }: { schema: Schema; depth: number }) {
  const { t } = useTranslation('servers');
  const found = propertiesOf(schema);
  if (!found) return null;
  return (
    <ul className="schema-props">
      {Object.entries(found.properties).map(([name, value]) => {
        const property = isSchema(value) ? value : {};
        const details = limits(property);
        return (
          <li key={name}>
            <div className="schema-prop-head">
              <code className="schema-prop-name">{name}</code>
              <span className="schema-prop-type">{typeText(property)}</span>
              {found.required.includes(name) ? <span className="badge">{t('required')}</span> : <span className="badge badge-muted">{t('optional')}</span>}
            </div>
            {typeof property.description === 'string' && <p className="schema-prop-description">{property.description}</p>}
            {details.length > 0 && <p className="schema-prop-limits muted">{details.join('; ')}</p>}
            {depth < MAX_DEPTH && <PropertyList schema={property} depth={depth + 1} />}
          </li>
        );
      })}
    </ul>
  );
}

/** A tool's input schema, readable: each parameter's name, type, whether it is required and what it is; the raw JSON folded below. */
export function InputSchema({ schema, label }: { schema: Schema; label: string }) {
  const { t } = useTranslation('servers');
  const empty = propertiesOf(schema) === null;
  return (
    <div className="schema">
      {empty ? <p className="muted">{t('schema.noParameters')}</p> : <PropertyList schema={schema} depth={0} />}
      <details className="schema-raw">
        <summary>
          <Trans t={t} i18nKey="schema.json" values={{ name: label }} components={{ hidden: <span className="visually-hidden" /> }} />
        </summary>
        <pre>
          <code>{JSON.stringify(schema, null, 2)}</code>
        </pre>
      </details>
    </div>
  );
}
