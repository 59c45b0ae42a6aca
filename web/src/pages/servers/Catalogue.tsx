import type { ReactNode } from 'react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { needsTasks, type Catalogue as CatalogueData, type CatalogueTool } from '@mreg/shared';
import { GatewayName } from './GatewayNotes';
import { InputSchema } from './InputSchema';
import { useNumber } from './words';

/** What discovery found on a server: its tools, resources, resource templates and prompts, each a section. */
export function Catalogue({ catalogue, slug }: { catalogue: CatalogueData; slug: string }) {
  const { t } = useTranslation('servers');
  const { tools, resources, resourceTemplates, prompts } = catalogue;
  return (
    <>
      {catalogue.instructions && (
        <details className="card catalogue-instructions">
          <summary>{t('catalogue.instructions')}</summary>
          <p className="catalogue-text">{catalogue.instructions}</p>
        </details>
      )}

      <CatalogueSection title={t('catalogue.tools')} count={tools.length} none={t('catalogue.toolsNone')}>
        <ul className="catalogue-cards">
          {tools.map((tool) => (
            <li key={tool.name}>
              <ToolCard tool={tool} slug={slug} />
            </li>
          ))}
        </ul>
      </CatalogueSection>

      <CatalogueSection title={t('catalogue.resources')} count={resources.length} none={t('catalogue.resourcesNone')}>
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

      <CatalogueSection title={t('catalogue.templates')} count={resourceTemplates.length} none={t('catalogue.templatesNone')}>
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

      <CatalogueSection title={t('catalogue.prompts')} count={prompts.length} none={t('catalogue.promptsNone')}>
        <ul className="catalogue-list">
          {prompts.map((prompt) => (
            <li key={prompt.name}>
              <Heading name={prompt.name} title={prompt.title} code />
              <GatewayName slug={slug} name={prompt.name} />
              {prompt.description && <p className="catalogue-text">{prompt.description}</p>}
              <h4>{t('catalogue.arguments')}</h4>
              {prompt.arguments && prompt.arguments.length > 0 ? (
                <ul className="schema-props" aria-label={t('catalogue.argumentsOf', { name: prompt.name })}>
                  {prompt.arguments.map((argument) => (
                    <li key={argument.name}>
                      <div className="schema-prop-head">
                        <code className="schema-prop-name">{argument.name}</code>
                        {argument.required ? <span className="badge">{t('required')}</span> : <span className="badge badge-muted">{t('optional')}</span>}
                      </div>
                      {argument.description && <p className="schema-prop-description">{argument.description}</p>}
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="muted">{t('catalogue.noArguments')}</p>
              )}
            </li>
          ))}
        </ul>
      </CatalogueSection>
    </>
  );
}

function CatalogueSection({ title, count, none, children }: { title: string; count: number; none: string; children: ReactNode }) {
  const number = useNumber();
  return (
    <section className="catalogue-section" aria-label={title}>
      <h2>
        {title} <span className="muted catalogue-count">({number(count)})</span>
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
function annotationBadges(tool: CatalogueTool, t: TFunction<'servers'>): string[] {
  const hints = tool.annotations ?? {};
  const badges: string[] = [];
  if (hints.readOnlyHint === true) badges.push(t('catalogue.readOnly'));
  else if (hints.destructiveHint === true) badges.push(t('catalogue.destructive'));
  if (hints.idempotentHint === true && hints.readOnlyHint !== true) badges.push(t('catalogue.idempotent'));
  if (hints.openWorldHint === true) badges.push(t('catalogue.openWorld'));
  return badges;
}

function ToolCard({ tool, slug }: { tool: CatalogueTool; slug: string }) {
  const { t } = useTranslation('servers');
  const badges = annotationBadges(tool, t);
  return (
    <article className="card tool-card" aria-label={t('catalogue.toolLabel', { name: tool.name })}>
      <Heading name={tool.name} title={tool.title} code />
      <GatewayName slug={slug} name={tool.name} tasksOnly={needsTasks(tool)} />
      {badges.length > 0 && (
        <ul className="chips tool-hints" aria-label={t('catalogue.hints')}>
          {badges.map((badge) => (
            <li key={badge}>{badge}</li>
          ))}
        </ul>
      )}
      {tool.description && <p className="catalogue-text">{tool.description}</p>}
      <h4>{t('catalogue.parameters')}</h4>
      <InputSchema schema={tool.inputSchema} label={tool.name} />
    </article>
  );
}
