/** Slack's Block Kit limits that a bot can break; a message breaking one is refused with `invalid_blocks`. */
const maxBlocks = 50;
const maxSectionText = 3000;
const maxButtonText = 75;
const maxActionId = 255;
const maxButtonValue = 2000;
const maxActionsElements = 25;
const maxContextElements = 10;

type Json = Record<string, unknown>;

/** The problems with a message's blocks (empty when Slack would accept them). */
export function blockProblems(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return ['blocks must be an array'];
  const problems: string[] = [];
  if (blocks.length > maxBlocks) problems.push(`more than ${maxBlocks} blocks`);
  const actionIds = new Set<string>();
  const button = (element: Json, where: string) => {
    const text = element.text as Json | undefined;
    if (text?.type !== 'plain_text' || typeof text.text !== 'string' || text.text.length > maxButtonText) {
      problems.push(`${where}: button text must be plain_text of at most ${maxButtonText} characters`);
    }
    const id = element.action_id;
    if (typeof id !== 'string' || id.length === 0 || id.length > maxActionId)
      problems.push(`${where}: bad action_id`);
    else if (actionIds.has(id)) problems.push(`${where}: duplicate action_id ${id}`);
    else actionIds.add(id);
    if (
      element.value !== undefined &&
      (typeof element.value !== 'string' || element.value.length > maxButtonValue)
    ) {
      problems.push(`${where}: button value must be a string of at most ${maxButtonValue} characters`);
    }
  };
  blocks.forEach((block: Json, i) => {
    const where = `blocks[${i}]`;
    switch (block.type) {
      case 'section': {
        const text = block.text as Json | undefined;
        if (
          !text ||
          typeof text.text !== 'string' ||
          text.text.length === 0 ||
          text.text.length > maxSectionText
        ) {
          problems.push(`${where}: section text must be 1-${maxSectionText} characters`);
        }
        const accessory = block.accessory as Json | undefined;
        if (accessory?.type === 'button') button(accessory, `${where}.accessory`);
        return;
      }
      case 'actions': {
        const elements = block.elements as Json[] | undefined;
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > maxActionsElements) {
          problems.push(`${where}: actions need 1-${maxActionsElements} elements`);
          return;
        }
        elements.forEach((e, j) => (e.type === 'button' ? button(e, `${where}.elements[${j}]`) : undefined));
        return;
      }
      case 'context': {
        const elements = block.elements as unknown[] | undefined;
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > maxContextElements) {
          problems.push(`${where}: context needs 1-${maxContextElements} elements`);
        }
        return;
      }
      case 'header':
      case 'divider':
      case 'image':
      case 'rich_text':
        return;
      default:
        problems.push(`${where}: unknown block type ${String(block.type)}`);
    }
  });
  return problems;
}
