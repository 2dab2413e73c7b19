CREATE SCHEMA "security";
--> statement-breakpoint
CREATE SEQUENCE "security"."security_event_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "security"."security_event" (
	"slot" integer PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"request_id" text NOT NULL,
	"actor_sub" text NOT NULL,
	"actor_role" text NOT NULL,
	"kind" text NOT NULL,
	"code" text NOT NULL,
	"operation_hash" text NOT NULL,
	"residents_named" integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "security_event_seq_key" ON "security"."security_event" USING btree ("seq");