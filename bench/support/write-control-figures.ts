/**
 * Suite 1's write controls (write-controls.ts) as figures: each control's p50 as a ratio to the
 * PutItem of `begin`'s shape measured in the same turns, and the note that reads them beside the
 * take's own ratio in the handler.
 */
import { figure, type Metric } from "./suite.ts";
import type { WriteControls } from "./write-controls.ts";

export const writeControlFigures = (
  controls: WriteControls,
  takeOverBegin: number,
): { metrics: Metric[]; note: string } => {
  const { p50 } = controls;
  const overPut = (ms: number): number => ms / p50.beginShapedPut;
  const ratios: [name: string, ms: number][] = [
    ["UpdateItem without condition, item of one number", p50.bareUpdate],
    ["the same UpdateItem, item also holding 72 times", p50.bareUpdateOfRingSizedItem],
    ["the take's step as the budget sends it", p50.stepAsSent],
    ["the same step without its condition", p50.stepWithoutCondition],
    ["the same step answering nothing", p50.stepAnsweringNothing],
  ];
  const ratio = (ms: number): string => `${overPut(ms).toFixed(2)} ×`;
  return {
    metrics: [
      figure("control: PutItem of begin's shape p50 (after the rounds)", p50.beginShapedPut, "ms", 2),
      ...ratios.map(([name, ms]) => figure(`control: ${name} / that PutItem, p50`, overPut(ms), "", 2)),
    ],
    note:
      "cancel-path: what an UpdateItem costs on DynamoDB Local against begin's PutItem, same minutes: " +
      `without a condition, on an item of one number, ${ratio(p50.bareUpdate)}; the same on an item that also ` +
      `holds the 72 times of a full ring (ADR 0008), ${ratio(p50.bareUpdateOfRingSizedItem)}; the take (such an ` +
      `item, its condition, UPDATED_NEW; in the handler) ${takeOverBegin.toFixed(2)} ×. Its step alone, in turns ` +
      `with the controls: as sent ${ratio(p50.stepAsSent)}, without its condition ${ratio(p50.stepWithoutCondition)}, ` +
      `answering nothing ${ratio(p50.stepAnsweringNothing)}. The ring's times, the take's condition (the ring's ` +
      "rule) and its answer (whether to repair) are what it adds to the cheapest UpdateItem; on DynamoDB each " +
      "is one write unit of an item under 1 KB (suite 8).",
  };
};
