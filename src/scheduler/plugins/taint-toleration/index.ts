export { NAME, TaintToleration, untoleratedTaintReason } from './taint-toleration.ts';
