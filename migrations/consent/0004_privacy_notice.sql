CREATE TABLE "consent"."privacy_notice" (
	"version" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"published_at" timestamp with time zone
);
--> statement-breakpoint
-- The notice every seeded and demo consent names; published with the platform's first release.
INSERT INTO "consent"."privacy_notice" ("version", "title", "published_at") VALUES ('2026-01', 'healthmesh privacy notice (January 2026)', '2026-01-01T00:00:00Z') ON CONFLICT DO NOTHING;
