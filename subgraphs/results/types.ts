import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { classified } from '../../schema/classification.js';

const RESULTS = classified('RESULTS', 3);
/** Free-text report sections: no direct identifiers by convention, but narrower use than coded values. */
const RESULTS_FREE_TEXT = classified('RESULTS', 4, { mask: 'TEXT' });

@ObjectType({ description: 'Reference to an institution (resolved by the resources subgraph).' })
@Directive('@key(fields: "id", resolvable: false)')
export class Institution {
  @Field(() => ID)
  @Directive(classified('RESOURCES', 1))
  id!: string;
}

@ObjectType({ description: 'One measured item of a lab report.' })
export class LabItem {
  @Field(() => ID)
  @Directive(RESULTS)
  id!: string;

  @Field(() => String, { nullable: true, description: "The laboratory's own item code." })
  @Directive(RESULTS)
  localCode?: string | null;

  @Field(() => String, { nullable: true, description: 'LOINC code where the item is mapped.' })
  @Directive(RESULTS)
  loinc?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(RESULTS)
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Measured value as reported (numeric or qualitative).' })
  @Directive(RESULTS)
  value?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(RESULTS)
  unit?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(RESULTS)
  referenceRange?: string | null;

  @Field(() => String, { nullable: true, description: 'N normal, H high, L low, A abnormal (qualitative).' })
  @Directive(RESULTS)
  abnormalFlag?: string | null;
}

@ObjectType({ description: 'A laboratory report (检验报告): one panel with its items.' })
export class LabReport {
  @Field(() => ID)
  @Directive(RESULTS)
  id!: string;

  @Field(() => String, { nullable: true })
  @Directive(RESULTS)
  panelCode?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(RESULTS)
  panelName?: string | null;

  @Field(() => String, { nullable: true, description: 'Specimen type, e.g. 静脉血, 尿液.' })
  @Directive(RESULTS)
  specimen?: string | null;

  @Field(() => Date, { nullable: true })
  @Directive(RESULTS)
  collectedAt?: Date | null;

  @Field(() => Date, { nullable: true })
  @Directive(RESULTS)
  reportedAt?: Date | null;

  @Field(() => String, { nullable: true, description: 'Sensitivity label: NONE, MENTAL_HEALTH, HIV_STI, REPRODUCTIVE, GENETIC.' })
  @Directive(RESULTS)
  sensitivity?: string | null;

  @Field(() => Int, { nullable: true, description: 'Record level 1–5 (5: especially sensitive).' })
  @Directive(RESULTS)
  level?: number | null;

  @Field(() => Institution, { nullable: true, description: 'The reporting laboratory.' })
  @Directive(RESULTS)
  institution?: Institution | null;
}

@ObjectType({ description: 'An imaging report (检查报告).' })
export class ImagingReport {
  @Field(() => ID)
  @Directive(RESULTS)
  id!: string;

  @Field(() => String, { nullable: true, description: 'DICOM modality: CT, MR, DX, US, …' })
  @Directive(RESULTS)
  modality?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(RESULTS)
  bodyPart?: string | null;

  @Field(() => String, { nullable: true, description: '检查所见 (free text).' })
  @Directive(RESULTS_FREE_TEXT)
  findings?: string | null;

  @Field(() => String, { nullable: true, description: '诊断意见 (free text).' })
  @Directive(RESULTS_FREE_TEXT)
  impression?: string | null;

  @Field(() => Date, { nullable: true })
  @Directive(RESULTS)
  performedAt?: Date | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether contrast medium was used.' })
  @Directive(RESULTS)
  contrast?: boolean | null;

  @Field(() => String, { nullable: true })
  @Directive(RESULTS)
  sensitivity?: string | null;

  @Field(() => Int, { nullable: true })
  @Directive(RESULTS)
  level?: number | null;

  @Field(() => Institution, { nullable: true })
  @Directive(RESULTS)
  institution?: Institution | null;
}

@ObjectType({ description: 'A resident, extended with lab and imaging results.' })
@Directive('@key(fields: "id")')
export class Resident {
  @Field(() => ID)
  @Directive(classified('DEMOGRAPHICS', 3))
  id!: string;
}
