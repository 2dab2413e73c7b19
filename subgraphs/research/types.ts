/**
 * GraphQL types of the research subgraph (DESIGN §10). Everything here is de-identified research
 * output: a scenario pseudonym, generalised demographics, coded health data, suppressed aggregates.
 */
import { Directive, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { classified } from '../../schema/classification.js';
import { AGGREGATE_MEASURES, type AggregateMeasure } from '../../schema/research.js';

const FRAME = classified('DEMOGRAPHICS', 2);
const CLINICAL = classified('CLINICAL', 2);
const RESULTS = classified('RESULTS', 2);
const OUTPUT = classified('RESOURCES', 2);

export const AggregateMeasureEnum = Object.fromEntries(AGGREGATE_MEASURES.map((m) => [m, m])) as Record<AggregateMeasure, AggregateMeasure>;
registerEnumType(AggregateMeasureEnum, { name: 'AggregateMeasure', description: 'COUNT of residents; MEAN, MEDIAN or P90 of each resident’s mean value of an item.' });

@ObjectType({ description: 'A diagnosis of a research subject (the year only).' })
export class ResearchDiagnosis {
  @Field(() => String) @Directive(CLINICAL) code!: string;
  @Field(() => String, { nullable: true }) @Directive(CLINICAL) codeSystem?: string | null;
  @Field(() => Int, { nullable: true }) @Directive(CLINICAL) year?: number | null;
}

@ObjectType({ description: 'A lab item of a research subject (the year only).' })
export class ResearchLabItem {
  @Field(() => String, { nullable: true }) @Directive(RESULTS) loinc?: string | null;
  @Field(() => String, { nullable: true }) @Directive(RESULTS) localCode?: string | null;
  @Field(() => String, { nullable: true }) @Directive(RESULTS) value?: string | null;
  @Field(() => String, { nullable: true }) @Directive(RESULTS) unit?: string | null;
  @Field(() => Int, { nullable: true }) @Directive(RESULTS) year?: number | null;
}

@ObjectType({ description: 'A pseudonymous research subject: only what the scenario lists, generalised as approved.' })
export class ResearchSubject {
  @Field(() => ID, { description: 'HMAC of the resident under the scenario’s key: stable within the scenario, unlinkable across scenarios.' })
  @Directive(FRAME)
  pseudonym!: string;

  @Field(() => String, { nullable: true, description: 'Band of age (5 or 10 years, as approved) when the mart was built, e.g. 40-44 or 40-49.' }) @Directive(FRAME) ageBand?: string | null;
  @Field(() => Int, { nullable: true }) @Directive(FRAME) birthYear?: number | null;
  @Field(() => String, { nullable: true, description: 'GB/T 2261.1 sex code.' }) @Directive(FRAME) sex?: string | null;
  @Field(() => String, { nullable: true, description: 'GB/T 2260 code of the district, or of the city.' }) @Directive(FRAME) district?: string | null;
  @Field(() => [ResearchDiagnosis], { nullable: true }) @Directive(CLINICAL) diagnoses?: ResearchDiagnosis[] | null;
  @Field(() => [ResearchLabItem], { nullable: true }) @Directive(RESULTS) labItems?: ResearchLabItem[] | null;
}

@ObjectType()
export class ResearchSubjectEdge {
  @Field(() => String) @Directive(OUTPUT) cursor!: string;
  @Field(() => ResearchSubject) @Directive(FRAME) node!: ResearchSubject;
}

@ObjectType({ description: 'Paging; deliberately no total count.' })
export class PageInfo {
  @Field(() => Boolean) @Directive(OUTPUT) hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) @Directive(OUTPUT) endCursor?: string | null;
}

@ObjectType({ description: 'Pseudonymous subjects of a scenario, by pseudonym; no total count.' })
export class ResearchSubjectConnection {
  @Field(() => [ResearchSubjectEdge]) @Directive(FRAME) edges!: ResearchSubjectEdge[];
  @Field(() => PageInfo) @Directive(OUTPUT) pageInfo!: PageInfo;
}

@ObjectType({ description: 'One cell: its group values (in groupBy order); value null when suppressed.' })
export class AggregateCell {
  @Field(() => [String]) @Directive(OUTPUT) group!: string[];
  @Field(() => Float, { nullable: true }) @Directive(OUTPUT) value?: number | null;
  @Field(() => Boolean) @Directive(OUTPUT) suppressed!: boolean;
}

@ObjectType({ description: 'A suppressed aggregate: cells of 1 to minCellSize-1 residents, and their complements, are hidden.' })
export class AggregateResult {
  @Field(() => [AggregateCell]) @Directive(OUTPUT) cells!: AggregateCell[];
  @Field(() => Int) @Directive(OUTPUT) minCellSize!: number;
}

@InputType({ description: 'What to aggregate (DESIGN §10).' })
export class AggregateInput {
  @Field(() => AggregateMeasureEnum) measure!: AggregateMeasure;
  @Field(() => String, { nullable: true, description: 'MEAN, MEDIAN, P90: a numeric coordinate (LabItem.value).' }) field?: string | null;
  @Field(() => String, { nullable: true, description: 'The item (LOINC or local code) of the field.' }) itemCode?: string | null;
  @Field(() => [String], { description: 'sex, ageBand, birthYear, district, Diagnosis.code, LabItem.loinc, LabItem.localCode.' }) groupBy!: string[];
}

@InputType()
export class MartDiagnosisInput {
  @Field(() => String) code!: string;
  @Field(() => String, { nullable: true }) codeSystem?: string | null;
  @Field(() => Int, { nullable: true }) year?: number | null;
}

@InputType()
export class MartLabItemInput {
  @Field(() => String, { nullable: true }) loinc?: string | null;
  @Field(() => String, { nullable: true }) localCode?: string | null;
  @Field(() => String, { nullable: true }) value?: string | null;
  @Field(() => String, { nullable: true }) unit?: string | null;
  @Field(() => Int, { nullable: true }) year?: number | null;
}

@InputType({ description: 'One pseudonymised, generalised subject, as the gateway built it.' })
export class MartSubjectInput {
  @Field(() => String) pseudonym!: string;
  @Field(() => String, { nullable: true }) sex?: string | null;
  @Field(() => Int, { nullable: true }) birthYear?: number | null;
  @Field(() => String, { nullable: true }) ageBand?: string | null;
  @Field(() => String, { nullable: true }) district?: string | null;
  @Field(() => [MartDiagnosisInput], { nullable: true }) diagnoses?: MartDiagnosisInput[] | null;
  @Field(() => [MartLabItemInput], { nullable: true }) labItems?: MartLabItemInput[] | null;
}

