CREATE TABLE "consent"."audit_chain_verification" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"verified_at" timestamp with time zone DEFAULT now() NOT NULL,
	"up_to_seq" bigint NOT NULL,
	"entries" bigint NOT NULL,
	"valid" boolean NOT NULL,
	"signatures_checked" boolean NOT NULL,
	"broken_at_position" bigint,
	"problem" text,
	"last_hash" text
);
--> statement-breakpoint
CREATE TABLE "consent"."audit_tree_head" (
	"tree_size" bigint PRIMARY KEY NOT NULL,
	"root_hash" text NOT NULL,
	"timestamp" timestamp with time zone NOT NULL,
	"key_id" text NOT NULL,
	"signature" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consent"."audit_tree_node" (
	"level" smallint NOT NULL,
	"idx" bigint NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_tree_node_level_idx_pk" PRIMARY KEY("level","idx")
);
--> statement-breakpoint
ALTER TABLE "consent"."audit_entry" ADD COLUMN "leaf_index" bigint;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_entry_leaf_key" ON "consent"."audit_entry" USING btree ("leaf_index");--> statement-breakpoint
CREATE INDEX "audit_entry_unadopted_idx" ON "consent"."audit_entry" USING btree ("seq") WHERE "consent"."audit_entry"."leaf_index" is null;