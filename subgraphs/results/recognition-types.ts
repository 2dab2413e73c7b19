/** GraphQL types of mutual recognition (互认): candidates, decisions, the report and the catalogue. */
import { Directive, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { classified } from '../../schema/classification.js';
import { Institution } from './types.js';

const RESULTS = classified('RESULTS', 3);
/**
 * A candidate's verdict and a decision: which item, whether and why (not) recognised, when and where
 * it was done, but no value of the result (that is the level-3 labReport / imagingReport). Level 2
 * keeps DESIGN §10's non-null shape; reading it still needs a basis for the resident's RESULTS.
 */
const VERDICT = classified('RESULTS', 2);
/** Platform data about recognition (catalogue, EQA, daily counts): no resident's data. */
const PLATFORM = classified('RESOURCES', 1);

@ObjectType({ description: 'A prior result for a test about to be ordered, with whether it can be recognised and why not.' })
export class RecognitionCandidate {
  @Field(() => ID, { description: 'Names this candidate in recordRecognitionDecision.' })
  @Directive(VERDICT)
  id!: string;

  @Field(() => String, { description: 'The catalogue item (or the requested code, when not in the catalogue).' })
  @Directive(VERDICT)
  itemCode!: string;

  @Field(() => Boolean)
  @Directive(VERDICT)
  recognizable!: boolean;

  @Field(() => [String], {
    description:
      'Every one that applies, in this order: NOT_IN_CATALOGUE; GRADE_NOT_RECOGNISED (the producing institution’s grade on the day of the result is not one of the item’s recognisedGrades, or it has no recorded grade); LAB_NOT_EQA_QUALIFIED; NO_HR_MARK; EXPIRED; SAME_INSTITUTION.',
  })
  @Directive(VERDICT)
  reasons!: string[];

  @Field(() => Date, { description: 'When the specimen was collected or the examination performed.' })
  @Directive(VERDICT)
  performedAt!: Date;

  @Field(() => Institution, { description: 'The institution that produced the result.' })
  @Directive(VERDICT)
  institution!: Institution;

  @Field(() => Date, { nullable: true, description: 'The first moment the result is no longer recognised (null when not in the catalogue).' })
  @Directive(RESULTS)
  validUntil?: Date | null;
  // labReport and imagingReport: field resolvers (recognition-resolvers.ts), loaded under the row filter.
}

@ObjectType({ description: 'A clinician’s accept or decline of one recognition candidate.' })
export class RecognitionDecision {
  @Field(() => ID)
  @Directive(VERDICT)
  id!: string;

  @Field(() => ID)
  @Directive(VERDICT)
  candidateId!: string;

  @Field(() => Boolean)
  @Directive(VERDICT)
  accepted!: boolean;

  @Field(() => String, { nullable: true, description: 'The decline reason as recorded: a code, or `OTHER: text`.' })
  @Directive(RESULTS)
  reason?: string | null;

  @Field(() => Date)
  @Directive(VERDICT)
  decidedAt!: Date;
}

@ObjectType({ description: 'Declines for one reason.' })
export class RecognitionDeclineCount {
  @Field(() => String) @Directive(PLATFORM) reason!: string;
  @Field(() => Int) @Directive(PLATFORM) count!: number;
}

@ObjectType({ description: 'One institution’s recognition figures for one local day (as regional platforms publish them).' })
export class RecognitionReportRow {
  @Field(() => ID, { description: 'The institution of the asking clinicians.' }) @Directive(PLATFORM) institutionId!: string;
  @Field(() => String, { description: 'Local (UTC+8) day, YYYY-MM-DD.' }) @Directive(PLATFORM) day!: string;
  @Field(() => Int, { description: 'Recognizable candidates shown.' }) @Directive(PLATFORM) remindersShown!: number;
  @Field(() => Int) @Directive(PLATFORM) accepted!: number;
  @Field(() => Int) @Directive(PLATFORM) declined!: number;
  @Field(() => [RecognitionDeclineCount]) @Directive(PLATFORM) declinedByReason!: RecognitionDeclineCount[];
  @Field(() => Float, { description: 'Sum of the accepted items’ prices, in yuan.' }) @Directive(PLATFORM) costSavedYuan!: number;
}

@ObjectType({ description: 'One item of the mutual-recognition catalogue.' })
export class RecognitionItem {
  @Field(() => ID) @Directive(PLATFORM) code!: string;
  @Field(() => String) @Directive(PLATFORM) name!: string;
  @Field(() => String, { description: 'CLINICAL_CHEMISTRY, IMMUNOLOGY, HAEMATOLOGY, PLAIN_RADIOGRAPHY, CT, MR or ULTRASOUND.' }) @Directive(PLATFORM) group!: string;
  @Field(() => String, { nullable: true }) @Directive(PLATFORM) loinc?: string | null;
  @Field(() => Int) @Directive(PLATFORM) validityDays!: number;
  @Field(() => Float) @Directive(PLATFORM) priceYuan!: number;
  @Field(() => String, { nullable: true }) @Directive(PLATFORM) modality?: string | null;
  @Field(() => String, { nullable: true }) @Directive(PLATFORM) bodyPart?: string | null;
  @Field(() => [String], { description: 'Institution grades whose results are recognised (see recognitionInstitutionGrades).' }) @Directive(PLATFORM) recognisedGrades!: string[];
  @Field(() => String, { nullable: true, description: 'Lab items: the unit a hospital feed must report it in (feed rule UNIT); null when unitless.' }) @Directive(PLATFORM) unit?: string | null;
}

@ObjectType({ description: 'An institution’s grade (三级甲等, …) from a day on, as recognition judges it on the day of a result.' })
export class RecognitionInstitutionGrade {
  @Field(() => ID) @Directive(PLATFORM) institutionId!: string;
  @Field(() => String, { description: 'YYYY-MM-DD: the grade holds from this day until the next period starts.' }) @Directive(PLATFORM) validFrom!: string;
  @Field(() => String) @Directive(PLATFORM) grade!: string;
}

@ObjectType({ description: 'An institution’s EQA (室间质评) status for one item over a period.' })
export class RecognitionEqaStatus {
  @Field(() => ID) @Directive(PLATFORM) institutionId!: string;
  @Field(() => String) @Directive(PLATFORM) itemCode!: string;
  @Field(() => String, { description: 'YYYY-MM-DD, included.' }) @Directive(PLATFORM) validFrom!: string;
  @Field(() => String, { description: 'YYYY-MM-DD, included.' }) @Directive(PLATFORM) validUntil!: string;
  @Field(() => Boolean) @Directive(PLATFORM) passed!: boolean;
  @Field(() => Boolean) @Directive(PLATFORM) hrMark!: boolean;
}

@InputType({ description: 'A catalogue item to create or replace (by code).' })
export class RecognitionItemInput {
  @Field(() => String) code!: string;
  @Field(() => String) name!: string;
  @Field(() => String) group!: string;
  @Field(() => String, { nullable: true }) loinc?: string;
  @Field(() => Int) validityDays!: number;
  @Field(() => Float) priceYuan!: number;
  @Field(() => String, { nullable: true }) modality?: string;
  @Field(() => String, { nullable: true }) bodyPart?: string;
  @Field(() => [String]) recognisedGrades!: string[];
  @Field(() => String, { nullable: true, description: 'Lab items only: the unit feeds must use.' }) unit?: string;
}

@InputType({ description: 'An institution’s grade from a day on (replaces the period starting that day).' })
export class RecognitionInstitutionGradeInput {
  @Field(() => ID) institutionId!: string;
  @Field(() => String, { description: 'YYYY-MM-DD' }) validFrom!: string;
  @Field(() => String) grade!: string;
}

@InputType({ description: 'An institution’s EQA result for an item over a period (replaces the period starting the same day).' })
export class RecognitionEqaStatusInput {
  @Field(() => ID) institutionId!: string;
  @Field(() => String) itemCode!: string;
  @Field(() => String, { description: 'YYYY-MM-DD' }) validFrom!: string;
  @Field(() => String, { description: 'YYYY-MM-DD' }) validUntil!: string;
  @Field(() => Boolean) passed!: boolean;
  @Field(() => Boolean) hrMark!: boolean;
}
