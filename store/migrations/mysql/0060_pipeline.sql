-- orchestrator/pipeline: run numbers allocated by a counter on the workflow row,
-- timers that remember their next fire time, and indexes for run history.

-- The last run number handed out for this workflow version. StartRun bumps it
-- with a conditional UPDATE in the run's own transaction, so concurrent starts
-- from any number of processes get unique, gapless sequences.
ALTER TABLE `workflow` ADD COLUMN `last_sequence` BIGINT NULL;
UPDATE `workflow` SET `last_sequence` = (SELECT MAX(l.`sequence`) FROM `workflow_log` l WHERE l.`from_workflow` = `workflow`.`id`);

-- When the timer fires next (UTC). FireDueTimers advances it with a
-- conditional UPDATE, so each occurrence fires exactly once.
ALTER TABLE `timer` ADD COLUMN `next_run` DATETIME(6) NULL;
CREATE INDEX `idx_timer_next_run` ON `timer` (`next_run`);

CREATE INDEX `idx_workflow_log_from_workflow_sequence` ON `workflow_log` (`from_workflow`, `sequence`);
CREATE INDEX `idx_stage_log_workflow` ON `stage_log` (`workflow`);
CREATE INDEX `idx_action_log_workflow` ON `action_log` (`workflow`);
CREATE INDEX `idx_outcome_workflow` ON `outcome` (`workflow`);
CREATE INDEX `idx_event_workflow` ON `event` (`workflow`);
CREATE INDEX `idx_workflow_var_log_workflow` ON `workflow_var_log` (`workflow`);
