CREATE TABLE "autofix_watches" (
	"session_id" text PRIMARY KEY NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"since" timestamp with time zone DEFAULT now() NOT NULL,
	"ci_sha" text,
	"conflict_sha" text,
	"review_comment_seen" bigint DEFAULT 0 NOT NULL,
	"issue_comment_seen" bigint DEFAULT 0 NOT NULL,
	"mergeable" text DEFAULT 'unknown' NOT NULL,
	"stopped_reason" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "autofix_watches" ADD CONSTRAINT "autofix_watches_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;