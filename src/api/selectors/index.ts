export {
  parseLabelSelector,
  matchesLabels,
  selectorFromSpec,
  formatLabelSelector,
  SelectorParseError,
  type LabelSelector,
  type LabelSelectorSpec,
  type Requirement,
} from './labels.ts';
export { parseFieldSelector, matchesFields, type FieldRequirement } from './fields.ts';
