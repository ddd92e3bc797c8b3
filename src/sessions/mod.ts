/**
 * Session inactivity sweeping shared by DTLS, MQTT and CoAP.
 *
 * @module
 */

export { DeadlineIndex } from "./deadline_index.ts";
export { IdleIndex } from "./idle_index.ts";
export {
  SessionSweeper,
  type SweepFigures,
  type SweepReport,
  type SweepTarget,
} from "./sweeper.ts";
