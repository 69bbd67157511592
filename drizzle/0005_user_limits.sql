ALTER TABLE "sessions" ADD COLUMN "status_detail" text;--> statement-breakpoint
CREATE INDEX "bundles_user" ON "bundles" USING btree ("user_id");