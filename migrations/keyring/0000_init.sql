CREATE SCHEMA "keyring";
--> statement-breakpoint
CREATE TABLE "keyring"."data_key" (
	"resident_id" text PRIMARY KEY NOT NULL,
	"key_version" integer DEFAULT 1 NOT NULL,
	"kek_id" text,
	"wrapped" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rotated_at" timestamp with time zone,
	"shredded_at" timestamp with time zone
);
