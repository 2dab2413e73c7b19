import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';
import { classified } from '../../schema/classification.js';
import { LocalDate } from '../../schema/scalars.js';
import { inputIs } from '../../schema/enforcement.js';

@ObjectType({ description: 'A GB/T 2260 administrative district.' })
export class District {
  @Field(() => String, { description: '6-digit GB/T 2260 code.' })
  @Directive(classified('DEMOGRAPHICS', 2))
  code!: string;

  @Field(() => String)
  @Directive(classified('DEMOGRAPHICS', 2))
  name!: string;
}

@ObjectType({ description: 'A resident of the region: the person every record is about.' })
@Directive('@key(fields: "id")')
export class Resident {
  @Field(() => ID, { description: 'Platform resident id (pseudonymous).' })
  @Directive(classified('DEMOGRAPHICS', 3))
  id!: string;

  @Field(() => String, { nullable: true, description: '姓名' })
  @Directive(classified('DEMOGRAPHICS', 4, { encrypted: true, mask: 'NAME' }))
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'GB/T 2261.1 sex code: 0 unknown, 1 male, 2 female, 9 unstated.' })
  @Directive(classified('DEMOGRAPHICS', 3))
  sex?: string | null;

  @Field(() => LocalDate, { nullable: true })
  @Directive(classified('DEMOGRAPHICS', 3))
  birthDate?: string | null;

  @Field(() => String, { nullable: true, description: '居民身份证号码 (GB 11643).' })
  @Directive(classified('DEMOGRAPHICS', 4, { encrypted: true, mask: 'ID_CARD' }))
  idCardNumber?: string | null;

  @Field(() => String, { nullable: true, description: '电子健康卡 number (64 hexadecimal characters).' })
  @Directive(classified('DEMOGRAPHICS', 4, { encrypted: true, mask: 'HEALTH_CARD' }))
  healthCardNumber?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(classified('DEMOGRAPHICS', 4, { encrypted: true, mask: 'PHONE' }))
  phone?: string | null;

  @Field(() => String, { nullable: true })
  @Directive(classified('DEMOGRAPHICS', 4, { encrypted: true, mask: 'ADDRESS' }))
  address?: string | null;

  @Field(() => District, { nullable: true })
  @Directive(classified('DEMOGRAPHICS', 2))
  district?: District | null;

  @Field(() => String, { nullable: true, description: 'Guardian (监护人) resident id for residents under 14.' })
  @Directive(classified('DEMOGRAPHICS', 3))
  guardianId?: string | null;
}

@InputType({
  description:
    'A resident as registered by a hospital system (HIS feed). The gateway validates the identity, then encrypts the identifying fields and adds their blind indexes; this subgraph only ever stores ciphertext.',
})
export class ResidentInput {
  @Field(() => String)
  @Directive(inputIs.identifying('NAME', 'Resident.name'))
  name!: string;

  @Field(() => String, { description: 'GB/T 2261.1 sex code.' })
  sex!: string;

  @Field(() => String)
  @Directive(inputIs.identifying('ID_CARD', 'Resident.idCardNumber', { indexInto: 'idCardIndex' }))
  idCardNumber!: string;

  @Field(() => String, { nullable: true, description: '电子健康卡 number, when the resident has a card.' })
  @Directive(inputIs.identifying('HEALTH_CARD', 'Resident.healthCardNumber', { indexInto: 'healthCardIndex' }))
  healthCardNumber?: string;

  @Field(() => String, { nullable: true })
  @Directive(inputIs.identifying('PHONE', 'Resident.phone', { indexInto: 'phoneIndex' }))
  phone?: string;

  @Field(() => String, { nullable: true })
  @Directive(inputIs.identifying('ADDRESS', 'Resident.address'))
  address?: string;

  @Field(() => String, { description: 'GB/T 2260 district of residence.' })
  districtCode!: string;

  // The five fields below are written by the gateway's protect-writes stage; whatever a client sends
  // in them is replaced. (They cannot be @inaccessible: the gateway coerces variables against the API schema.)
  @Field(() => ID, { nullable: true, description: 'Set by the gateway (the id the ciphertexts are bound to); a client value is replaced.' })
  id?: string;

  @Field(() => String, { nullable: true, description: 'Set by the gateway: blind index of the ID-card number; a client value is replaced.' })
  idCardIndex?: string;

  @Field(() => String, { nullable: true, description: 'Set by the gateway: blind index of the health card number; a client value is replaced.' })
  healthCardIndex?: string;

  @Field(() => String, { nullable: true, description: 'Set by the gateway: blind index of the phone number; a client value is replaced.' })
  phoneIndex?: string;

  @Field(() => String, { nullable: true, description: 'Set by the gateway from the ID-card number; a client value is replaced.' })
  birthDate?: string;
}
