ALTER TABLE "sessions" ADD COLUMN "prompt" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "repo_name" text DEFAULT 'repo' NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "sandbox_id" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "diff" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "diff_files" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "additions" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "deletions" integer DEFAULT 0 NOT NULL;