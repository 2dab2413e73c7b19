/**
 * Research scenarios in the consent subgraph (DESIGN §7, §10): `submitScenario`, `scenarios`,
 * `reviewScenario`. Listed coordinates are checked against the supergraph's classification map, read
 * once from the checked-in supergraph.
 */
import { Arg, Ctx, Directive, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { classified, readClassifications, type ClassificationMap } from '../../schema/classification.js';
import { rootIs } from '../../schema/enforcement.js';
import { AGE_GRANULARITIES, PLACE_GRANULARITIES, type AgeGranularity, type PlaceGranularity } from '../../schema/research.js';
import { loadSupergraphSdl } from '../../schema/supergraph.js';
import type { SubgraphContext } from '../../subgraphs/runtime/server.js';
import type { AuditSigner } from '../audit.js';
import {
  listScenarios,
  REVIEW_DECISIONS,
  reviewScenario,
  SCENARIO_STATUSES,
  submitScenario,
  type ReviewDecision,
  type ScenarioRecord,
  type ScenarioStatus,
} from '../scenarios.js';
import { enumOf } from './types.js';

/** Scenario metadata is platform data about a study, not about a resident. */
const STUDY = classified('RESOURCES', 2);

export const ScenarioStatusEnum = enumOf(SCENARIO_STATUSES, 'ScenarioStatus', 'Where a research scenario stands; EXPIRED once past its end date.');
export const ReviewDecisionEnum = enumOf(REVIEW_DECISIONS, 'ReviewDecision', 'A steward’s decision on a research scenario.');
export const AgeGranularityEnum = enumOf(AGE_GRANULARITIES, 'AgeGranularity', 'How birth dates are generalised: birth year, or a 5- or 10-year band of age.');
export const PlaceGranularityEnum = enumOf(PLACE_GRANULARITIES, 'PlaceGranularity', 'How places are generalised: district or the city.');

@ObjectType({ description: 'One steward’s review of a research scenario.' })
export class ScenarioReview {
  @Field(() => String, { description: 'Account subject of the reviewing steward.' })
  @Directive(STUDY)
  reviewerSub!: string;

  @Field(() => ReviewDecisionEnum)
  @Directive(STUDY)
  decision!: ReviewDecision;

  @Field(() => String, { nullable: true, description: 'Why; always present on a rejection.' })
  @Directive(STUDY)
  comment?: string | null;

  @Field(() => Date)
  @Directive(STUDY)
  reviewedAt!: Date;
}

@ObjectType({ description: 'A research scenario (场景备案): what a study may read, for how long, how often.' })
export class ResearchScenario {
  @Field(() => ID)
  @Directive(STUDY)
  id!: string;

  @Field(() => String)
  @Directive(STUDY)
  title!: string;

  @Field(() => String)
  @Directive(STUDY)
  purpose!: string;

  @Field(() => String, { description: 'Account subject of the applicant.' })
  @Directive(STUDY)
  applicantSub!: string;

  @Field(() => ScenarioStatusEnum)
  @Directive(STUDY)
  status!: ScenarioStatus;

  @Field(() => [String], { description: 'The supergraph coordinates the scenario reads.' })
  @Directive(STUDY)
  fields!: string[];

  @Field(() => [String], { description: 'Hex SHA-256 of each registered document (send it as extensions.persistedQuery.sha256Hash).' })
  @Directive(STUDY)
  documentIds!: string[];

  @Field(() => Int, { description: '2 when the scenario reads level-5 records, else 1.' })
  @Directive(STUDY)
  approvalsRequired!: number;

  @Field(() => [ScenarioReview])
  @Directive(STUDY)
  reviews!: ScenarioReview[];

  @Field(() => Int)
  @Directive(STUDY)
  queryQuota!: number;

  @Field(() => Int)
  @Directive(STUDY)
  queriesUsed!: number;

  @Field(() => Int)
  @Directive(STUDY)
  minCellSize!: number;

  @Field(() => AgeGranularityEnum)
  @Directive(STUDY)
  ageGranularity!: AgeGranularity;

  @Field(() => PlaceGranularityEnum)
  @Directive(STUDY)
  placeGranularity!: PlaceGranularity;

  @Field(() => Date)
  @Directive(STUDY)
  validUntil!: Date;

  @Field(() => Date)
  @Directive(STUDY)
  submittedAt!: Date;
}

@InputType({ description: 'Who a scenario studies. Every criterion narrows; absent criteria do not.' })
export class CohortInput {
  @Field(() => [String], { nullable: true, description: 'ICD-10 code prefixes of a diagnosis the resident has (E11).' })
  diagnosisCodePrefixes?: string[] | null;

  @Field(() => Int, { nullable: true })
  ageMin?: number | null;

  @Field(() => Int, { nullable: true })
  ageMax?: number | null;

  @Field(() => String, { nullable: true, description: 'GB/T 2261.1 sex code.' })
  sex?: string | null;

  @Field(() => [String], { nullable: true, description: 'GB/T 2260 district codes.' })
  districtCodes?: string[] | null;

  @Field(() => Date, { nullable: true, description: 'Records from this time.' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Records before this time.' })
  until?: Date | null;
}

@InputType({ description: 'A research scenario submitted for review (DESIGN §10).' })
export class ScenarioInput {
  @Field(() => String)
  title!: string;

  @Field(() => String)
  purpose!: string;

  @Field(() => String, { description: 'Reference of the ethics committee’s approval.' })
  ethicsApproval!: string;

  @Field(() => String, { description: 'Reference of the personal-information impact assessment.' })
  impactAssessment!: string;

  @Field(() => [String], { description: 'The exact supergraph coordinates needed (LabItem.value, Diagnosis.code, …).' })
  fields!: string[];

  @Field(() => CohortInput)
  cohort!: CohortInput;

  @Field(() => [String], { description: 'The GraphQL documents the researcher will run, exactly as they will be sent.' })
  documents!: string[];

  @Field(() => Date)
  validUntil!: Date;

  @Field(() => Int)
  queryQuota!: number;

  @Field(() => Int, { nullable: true, description: 'Default 11; never below 5.' })
  minCellSize?: number | null;

  @Field(() => AgeGranularityEnum, { nullable: true, description: 'Default FIVE_YEAR_BAND.' })
  ageGranularity?: AgeGranularity | null;

  @Field(() => PlaceGranularityEnum, { nullable: true, description: 'Default DISTRICT.' })
  placeGranularity?: PlaceGranularity | null;
}

function toScenario(record: ScenarioRecord): ResearchScenario {
  return {
    id: record.id,
    title: record.title,
    purpose: record.purpose,
    applicantSub: record.applicantSub,
    status: record.status,
    fields: record.fields,
    documentIds: record.documentIds,
    approvalsRequired: record.approvalsRequired,
    reviews: record.reviews.map((review) => ({ ...review })),
    queryQuota: record.queryQuota,
    queriesUsed: record.queriesUsed,
    minCellSize: record.minCellSize,
    ageGranularity: record.ageGranularity,
    placeGranularity: record.placeGranularity,
    validUntil: record.validUntil,
    submittedAt: record.submittedAt,
  };
}

let supergraphClassifications: ClassificationMap | undefined;
/** The supergraph's classification map, read on first use (composition itself never needs it). */
function classificationsOfSupergraph(): ClassificationMap {
  supergraphClassifications ??= readClassifications(loadSupergraphSdl());
  return supergraphClassifications;
}

/** Scenario resolvers audit their writes with the gateway's audit key, hence a factory. */
export function createScenarioResolver(auditSigner: AuditSigner, classifications: () => ClassificationMap = classificationsOfSupergraph) {
  @Resolver(() => ResearchScenario)
  class ScenarioResolver {
    @Query(() => [ResearchScenario], { description: 'Researcher: your scenarios; steward: every scenario (PENDING_REVIEW is the queue). Newest first.' })
    @Directive(rootIs.platform)
    async scenarios(
      @Ctx() context: SubgraphContext,
      @Arg('status', () => ScenarioStatusEnum, { nullable: true }) status?: ScenarioStatus | null,
    ): Promise<ResearchScenario[]> {
      return (await listScenarios(context.db, context.request.actor, status)).map(toScenario);
    }

    @Mutation(() => ResearchScenario, { description: 'Researcher: submits a scenario for review.' })
    @Directive(rootIs.write())
    async submitScenario(@Arg('input', () => ScenarioInput) input: ScenarioInput, @Ctx() context: SubgraphContext): Promise<ResearchScenario> {
      return toScenario(await submitScenario(context.db, context.request.actor, input, classifications(), new Date(), { signer: auditSigner, requestId: context.request.requestId }));
    }

    @Mutation(() => ResearchScenario, { description: 'Steward: approves or rejects (with a comment) a scenario you did not submit.' })
    @Directive(rootIs.write({ reviewsScenario: 'id' }))
    async reviewScenario(
      @Ctx() context: SubgraphContext,
      @Arg('comment', () => String, { nullable: true }) comment: string | null | undefined,
      @Arg('decision', () => ReviewDecisionEnum) decision: ReviewDecision,
      @Arg('id', () => ID) id: string,
    ): Promise<ResearchScenario> {
      return toScenario(await reviewScenario(context.db, context.request.actor, id, decision, comment, new Date(), { signer: auditSigner, requestId: context.request.requestId }));
    }
  }
  return ScenarioResolver;
}
