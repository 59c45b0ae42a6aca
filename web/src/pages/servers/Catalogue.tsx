import type { ReactNode } from 'react';
import { needsTasks, type Catalogue as CatalogueData, type CatalogueTool } from '@mreg/shared';
import { GatewayName } from './GatewayNotes';
import { InputSchema } from './InputSchema';

/** What discovery found on a server: its tools, resources, resource templates and prompts, each a section. */
export function Catalogue({ catalogue, slug }: { catalogue: CatalogueData; slug: string }) {
  const { tools, resources, resourceTemplates, prompts } = catalogue;
  return (
    <>
      {catalogue.instructions && (
        <details className="card catalogue-instructions">
          <summary>The server&apos;s instructions to assistants</summary>
          <p className="catalogue-text">{catalogue.instructions}</p>
        </details>
      )}

      <CatalogueSection title="Tools" count={tools.length} none="This server offers no tools.">
        <ul className="catalogue-cards">
          {tools.map((tool) => (
            <li key={tool.name}>
              <ToolCard tool={tool} slug={slug} />
            </li>
          ))}
        </ul>
      </CatalogueSection>

      <CatalogueSection title="Resources" count={resources.length} none="This server lists no resources.">
        <ul className="catalogue-list">
          {resources.map((resource) => (
            <li key={resource.uri}>
              <Heading name={resource.name} title={resource.title} />
              <code className="catalogue-uri">{resource.uri}</code>
              {resource.mimeType && <span className="muted"> · {resource.mimeType}</span>}
              {resource.description && <p className="catalogue-text">{resource.description}</p>}
            </li>
          ))}
        </ul>
      </CatalogueSection>

      <CatalogueSection title="Resource templates" count={resourceTemplates.length} none="This server has no resource templates.">
        <ul className="catalogue-list">
          {resourceTemplates.map((template) => (
            <li key={template.uriTemplate}>
              <Heading name={template.name} title={template.title} />
              <code className="catalogue-uri">{template.uriTemplate}</code>
              {template.mimeType && <span className="muted"> · {template.mimeType}</span>}
              {template.description && <p className="catalogue-text">{template.description}</p>}
            </li>
          ))}
        </ul>
      </CatalogueSection>

      <CatalogueSection title="Prompts" count={prompts.length} none="This server offers no prompts.">
        <ul className="catalogue-list">
          {prompts.map((prompt) => (
            <li key={prompt.name}>
              <Heading name={prompt.name} title={prompt.title} code />
              <GatewayName slug={slug} name={prompt.name} />
              {prompt.description && <p className="catalogue-text">{prompt.description}</p>}
              <h4>Arguments</h4>
              {prompt.arguments && prompt.arguments.length > 0 ? (
                <ul className="schema-props" aria-label={`Arguments of ${prompt.name}`}>
                  {prompt.arguments.map((argument) => (
                    <li key={argument.name}>
                      <div className="schema-prop-head">
                        <code className="schema-prop-name">{argument.name}</code>
                        {argument.required ? <span className="badge">required</span> : <span className="badge badge-muted">optional</span>}
                      </div>
                      {argument.description && <p className="schema-prop-description">{argument.description}</p>}
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="muted">Takes no arguments.</p>
              )}
            </li>
          ))}
        </ul>
      </CatalogueSection>
    </>
  );
}

function CatalogueSection({ title, count, none, children }: { title: string; count: number; none: string; children: ReactNode }) {
  return (
    <section className="catalogue-section" aria-label={title}>
      <h2>
        {title} <span className="muted catalogue-count">({count})</span>
      </h2>
      {count === 0 ? <p className="muted">{none}</p> : children}
    </section>
  );
}

/** An item's name, and its title for people when it has one of its own. */
function Heading({ name, title, code }: { name: string; title: string | undefined; code?: boolean }) {
  return (
    <h3 className="catalogue-name">
      {code ? <code>{name}</code> : name}
      {title && title !== name && (
        <>
          {' '}
          <span className="catalogue-title">
            <span aria-hidden="true">· </span>
            {title}
          </span>
        </>
      )}
    </h3>
  );
}

// The MCP tool annotations people act on, as the spec names them (hints, not guarantees).
function annotationBadges(tool: CatalogueTool): string[] {
  const hints = tool.annotations ?? {};
  const badges: string[] = [];
  if (hints.readOnlyHint === true) badges.push('Read-only');
  else if (hints.destructiveHint === true) badges.push('May delete or overwrite');
  if (hints.idempotentHint === true && hints.readOnlyHint !== true) badges.push('Idempotent');
  if (hints.openWorldHint === true) badges.push('Reaches beyond the server');
  return badges;
}

function ToolCard({ tool, slug }: { tool: CatalogueTool; slug: string }) {
  const badges = annotationBadges(tool);
  return (
    <article className="card tool-card" aria-label={`Tool ${tool.name}`}>
      <Heading name={tool.name} title={tool.title} code />
      <GatewayName slug={slug} name={tool.name} tasksOnly={needsTasks(tool)} />
      {badges.length > 0 && (
        <ul className="chips tool-hints" aria-label="Hints from the server">
          {badges.map((badge) => (
            <li key={badge}>{badge}</li>
          ))}
        </ul>
      )}
      {tool.description && <p className="catalogue-text">{tool.description}</p>}
      <h4>Parameters</h4>
      <InputSchema schema={tool.inputSchema} label={tool.name} />
    </article>
  );
}
