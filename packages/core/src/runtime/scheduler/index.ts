export { FairQueue } from "./FairQueue.ts";
export {
  type ModelQueueStats,
  type Priority,
  type ScheduleOptions,
  Scheduler,
  type SchedulerOptions,
} from "./Scheduler.ts";
export { Slot } from "./Slot.ts";
