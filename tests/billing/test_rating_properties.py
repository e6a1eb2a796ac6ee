"""billing.rating over random sessions: the incremental path (a Meter stored as JSON and read
back at random points, as the processor and the billing projection do) gives exactly the Cost
of rating at once, and both give exactly what the rating gave before its fast paths (the
recorded digests below, of the Cost's and the CDR's JSON, made by that implementation).

A random session: one of the OCPI example tariffs or a tariff mixing their elements (with
min / max price, another currency), a station time zone, maybe a reservation, then readings
with registers (and resets), powers, currents and charging states in any mix, some older than
the one before, intervals from none to hours (across midnight, time-of-day and DST changes),
maybe a stop, maybe a running cost ``until``.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from billing.cdr import SessionFacts, build_cdr
from billing.rating import Cost, Meter, Reading, close, observe, open_meter, price, rate
from schemas.tariffs import Tariff
from tests.billing.ocpi_examples import EXAMPLES, example

D = Decimal
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "Australia/Lord_Howe")
STARTS = (
    datetime(2019, 3, 4, 8, 30, tzinfo=UTC),  # a Monday morning
    datetime(2019, 3, 9, 12, 30, tzinfo=UTC),  # a Saturday
    datetime(2024, 3, 30, 23, 0, tzinfo=UTC),  # before spring forward in Europe
    datetime(2024, 10, 26, 22, 45, tzinfo=UTC),  # before fall back in Europe
    datetime(2024, 11, 3, 4, 30, tzinfo=UTC),  # fall back in New York
    datetime(2024, 6, 8, 20, 10, tzinfo=UTC),  # a Saturday evening before midnight
)
STEPS_S = (0, 0, 1, 7, 30, 60, 60, 60, 60, 61, 300, 420, 900, 1800, 3600, 7200, 20000)
POWERS_W = (None, None, D(0), D(3700), D(6000), D(11000), D(16000), D(22000), D(32000),
            D(48000), D("15999.9"))  # fmt: skip
CURRENTS_A = (None, None, D(0), D(10), D(16), D("31.99"), D(32), D(43))
NAMES = tuple(sorted(EXAMPLES))


@dataclass(frozen=True)
class Case:
    tariff: Tariff
    time_zone: str
    started_at: datetime
    reserved_at: datetime | None
    start: Reading | None
    readings: list[Reading]
    stop: Reading | None
    until: datetime | None


def random_tariff(rnd: random.Random) -> Tariff:
    if rnd.random() < 0.5:
        return example(rnd.choice(NAMES))
    elements: list[Any] = []
    body: dict[str, Any] = {}
    for _ in range(rnd.randint(1, 5)):
        source = example(rnd.choice(NAMES)).model_dump(mode="json", exclude_none=True)
        elements.append(rnd.choice(source["elements"]))
        for bound in ("min_price", "max_price"):
            if bound in source and rnd.random() < 0.5:
                body[bound] = source[bound]
    return Tariff.model_validate({
        "country_code": "DE", "party_id": "ALL", "id": "MIX",
        "currency": rnd.choice(("EUR", "EUR", "JPY", "KWD")), "elements": elements,
        "last_updated": "2020-01-01T00:00:00Z", **body,
    })  # fmt: skip


def random_reading(rnd: random.Random, at: datetime, register: Decimal | None) -> Reading:
    return Reading(
        at=at,
        energy_wh=register,
        power_w=rnd.choice(POWERS_W) if rnd.random() < 0.6 else None,
        current_a=rnd.choice(CURRENTS_A) if rnd.random() < 0.6 else None,
        charging=rnd.choice((None, None, None, True, False)),
    )


def random_case(seed: int) -> Case:
    rnd = random.Random(seed)
    tariff = random_tariff(rnd)
    started_at = rnd.choice(STARTS) + timedelta(seconds=rnd.randint(0, 7200))
    reserved_at = None
    if rnd.random() < 0.25:
        reserved_at = started_at - timedelta(seconds=rnd.randint(-60, 3000))
    register: Decimal | None = D(rnd.randint(0, 10**7)) / 10
    start = None
    if rnd.random() < 0.8:
        start = Reading(at=started_at, energy_wh=register if rnd.random() < 0.8 else None,
                        charging=rnd.choice((None, True, False)))  # fmt: skip
    at = started_at
    readings = []
    for _ in range(rnd.randint(0, 60)):
        at += timedelta(seconds=rnd.choice(STEPS_S), microseconds=rnd.choice((0, 0, 0, 1, 999)))
        when = at - timedelta(seconds=rnd.randint(1, 600)) if rnd.random() < 0.08 else at
        value = None
        if rnd.random() < 0.75:
            if register is None or rnd.random() < 0.03:
                register = D(rnd.randint(0, 5000))  # a meter reset, or the first register
            else:
                register += D(rnd.randint(0, 6000)) / rnd.choice((1, 10, 1000))
            value = register
        readings.append(random_reading(rnd, when, value))
    stop = None
    if rnd.random() < 0.8:
        at += timedelta(seconds=rnd.choice(STEPS_S))
        stop = Reading(at=at, energy_wh=register if rnd.random() < 0.7 else None)
    until = None
    if rnd.random() < 0.5:
        until = at + timedelta(seconds=rnd.randint(-600, 7200))
    return Case(tariff, rnd.choice(ZONES), started_at, reserved_at, start, readings, stop, until)


def rated(case: Case) -> Cost:
    return rate(case.tariff, case.time_zone, case.started_at, case.readings, case.stop,
                case.until, start=case.start, reserved_at=case.reserved_at)  # fmt: skip


def stored(meter: Meter, rnd: random.Random) -> Meter:
    """``meter`` as the projection (JSON in PostgreSQL) or the processor reads it back."""
    if rnd.random() < 0.5:
        return Meter.model_validate_json(meter.model_dump_json())
    return Meter.model_validate(meter.model_dump(mode="json"))


def folded(case: Case, rnd: random.Random) -> Cost:
    t = case.tariff
    meter = open_meter(t, case.time_zone, case.started_at, case.start,
                       reserved_at=case.reserved_at)  # fmt: skip
    for r in case.readings:
        if rnd.random() < 0.3:
            meter = stored(meter, rnd)
        meter = observe(meter, t, r)
    if case.stop is not None:
        meter = close(stored(meter, rnd) if rnd.random() < 0.5 else meter, t, case.stop)
    if rnd.random() < 0.5:
        meter = stored(meter, rnd)
    return price(meter, t, case.until)


def digest(case: Case, cost: Cost) -> str:
    """The first 16 hex digits of the SHA-256 of the Cost's JSON and its CDR's."""
    text = cost.model_dump_json()
    if case.stop is not None:
        facts = SessionFacts(transaction_pk=1, station_id="CP-1", evse_id=1, connector_id=1,
                             id_token="04A2B3C4", id_token_type="ISO14443",
                             auth_method="WHITELIST", start_date_time=case.started_at,
                             end_date_time=case.stop.at)  # fmt: skip
        text += build_cdr("CDR-1", facts, case.tariff, 1, cost, case.stop.at).model_dump_json()
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.mark.parametrize("seed", range(600))
def test_a_meter_stored_at_random_points_gives_the_cost_of_rating_at_once(seed: int) -> None:
    case = random_case(seed)
    assert folded(case, random.Random(-seed - 1)) == rated(case)


_RECORDED = """
    332ca94a893b6e17 e7e97055f0903cb2 643784062d1fd4d8 aa8bd028f99330ca a593ce31fce99832
    6e9929c5b5090a93 a1568245ba80ea43 d06bc539f8cfdb87 dff40d326b0ff9f8 6e58e156a222be75
    a7b47a004ec112e4 70ecea7d9face702 e7e6fc66c2c7f84f 76d5e99d0dddca6a f06e454d0a622437
    2b5ea96cd327d46e cc8f5266ff4c09d4 d3aee6eb7b21dd42 056a0b6d8efc411a e38e190dbe08f638
    33b985b0b0c1a948 7a69025932286bb6 ed5b796fbadeae49 0f6d60dfcd64ee56 9e8162c25dd41d48
    421f96948429e5e6 8121cb78a6527a42 3184528aa4a94248 22a3603947cb231b a2397bbba643a586
    9f4631b91045d034 acf0be051a8b5506 8e806cf4956e4d95 e34060009c529b69 cb1b19819cef5909
    c0611f334b0d3198 614fcc0b3bcfebcf 55b921a13c0c3779 101c86d0dcbd72bd 30d1138cba219193
    0dc34a711ff1d8db 872bd14071aa90c9 5103cd847e83a104 660d9079801baf12 c4e893af72f144a4
    66bc892c7f1c8c43 949dc1b7bfa00b0f d91b3db2175ac402 79d3453bdbb43f85 9d68aea6a9313eef
    42e8c3a8d8569d5a 6b09bc196c469cb4 5f7abcc5af0ef4c0 5af87216d307cadd 9e883cdacdfec5e8
    03ebc020abbdfacf 0c2ef98cae1625ae 8823455bbae40ece fbff46b49130a068 eb06aa9c46e97e5b
    f531036ff7db2388 f8bf3c045e2573e7 6bbf881d994219de d8050fe25f6d6479 726a70b29a32cbff
    527f3b456162e44e 2151ad088325680c 82a69edd36d3848c 91c01dcae99316f0 8376606b2d75e1ad
    445e03c7373fb59b f61d041f9f18e68e bb673eaeed904bad d8c0e7a8093e89b1 1042e00e9388ab4b
    c3c00e5c8d784333 c2ba0b679abce694 d009118cdda89031 5c84acaa7b377ed7 17481a6a300422a6
    fe8d0d4a5a41d929 7b1afd262404050e 45f3cd60ab84c426 9fcff9baff839c02 c10f3200d1045632
    e3b1cce27735978b 8290e4c323aa2169 81a5924bab0d5b56 838c32c41659900c c68f4d5e8efbb2ca
    8c3fabc4370272e7 8b3b6b6eb568e532 1e96bfcd013a9f88 989cd1c3ff674837 3a77a5c9d7e18c20
    a1e2f1c8c3175f5d ed11db3f25c0b375 2adf77dd4a5585d9 9194215134aa18ff d1f8c0f2002ab7a1
    461b632a76c4d383 73f2e436727e6e3f 8e4904052de82ba5 b3d35da21bf7a2a2 0d088f4f72ac8cb4
    06d937be1f08bacc 5cfee5d23a2dbb5b a703ab139a74f375 7bad26a9bd4e6dbf f2a9e6ded38856b5
    0f1aef468b24e65e 6cc3e019ff89cf6a a1c82bb79ae901ce 0bd2094595e00ef9 6c13a8e02262a3b8
    82aed28b99d6290f 951ad78fb1238369 6f8ffa6f63b5df63 2ce82a54999255a8 bfe0802c50e6bf6e
    ef61f9cbfcfd8dd9 29ab295462633aa4 13b9109d083584dc bce5c96843b78860 a4f6c8ced232f9cf
    8692d8a356b74487 762ee821f0ec5667 0ca1378dfded2af0 ea6fe7082bff5070 cf947be621fb1c7a
    f0a80f4cbde047e7 fef39cd876cf6a3e c2bdf997f119b926 3f56cbe46448f98d 2bfb0d115582c988
    51cd449440468d28 f4e06bc596ea2b11 8eacd8943cc94522 ef06874b9fc37e24 561fccb84174342c
    1cbf481af900b448 0174f5a441c41964 6f120827f1ae94d2 63a903c070491cea d0f48411bf01a03b
    3ccd6ae14c6e0650 663c5ea71dd684eb 05e4d02a51170acc bf3ef2444c932787 63b4c0efdc8d9898
    3fa7ea9e883f09cc 1b9bb194079f39be f4c503361532b464 72242f5851bebcdc 9b9335fd05ae34cb
    dcbdb85077a54383 12c28805d19f41b0 b98cac421c20141b f6b3e55ac9c8dd81 72d1da95f5a68b3a
    d6aec5203445eeb7 41c8cd6af6f80a28 2704acd70bfd06bd d353ad5fe44ba117 38466e9bbe930ace
    0382dda03fdba779 dc4bba6c0392ee60 46951c1e236bf35b 0ba7a5f5ea946fee aca0959002e2bc8d
    7146728a641a828f acaf67d8400aafa5 90d12ac2f8c764ac 506c24e79555d0c4 13d1af7a1dbd784f
    e17c11dfd405c58b 6906f22592519c34 22c7a7903df06340 b5a2cc52dace11e9 0120f716a5485462
    a2ff536f1fad5e85 c14cd1276888fc86 4ba109992aff1352 656b978dcdb261ae 2241b32b935c8c0a
    fbf6418e89517f1e 2d7d7a96c27a63ae 4ddc36f7c8710e24 c751c777c9d795e6 16e4720b25d7b2d7
    f81a037f2660e424 7693823829f60e68 97c79ea603803b1d 94c8140897ad0c51 419b32efc97d9755
    8cecb84d6b5586f7 2f94de63fda9a5b9 265b0625a7785116 0ad50dc806cdf747 b51b2f0b9dc9617c
    4c26d5f3c8c299ad d64b489bbf05a303 b070c5fb79255b3a 29d4af521b638785 cee246837f28c2b3
    38e161c35ffb20d2 67d306e19a262838 182faa6f204fa25e 89b747041db64d28 83b2488cde57aabb
    982070bf44707f3c aaa56b2b2ef696cf f7a595a6d69c03db 0b101758f7d447ed b97b71c71a06158a
    2f892488f1b6ca2f bbee508273ce7b95 8a7a2465b7b6dbdb 1643285c4bb2febc ad51643a71f451bf
    b526cc8274d79868 56505b55d92f3010 70aded8a4b1cb26f 9b0820ed3b3fdf0d 8896069cbf922410
    a2faf295f09086f6 a37c5aebf615783a 626c234fdc918de2 5aeab5e759ecc539 e9ce1ab10abb6a8a
    93d3b9435d83d54e 5f7afe0793162274 b3bef20636608d18 9a57f7d93cecb56c 556fa7f1d0740d1e
    26b73748b4dc2e3c 6c8c0b69c20e64a1 b181e151cfd5eb00 4ef73a487181b15e e06a5dce3c337102
    77c1f70367dc9393 cbbd0d6fb27cf3b8 fc994a82f527eefa 7e0cda16813e6840 37364e845c11fa2e
    dfbf67a60eae2d5d 2e30272ace9b6e3e 3f0a8e9f9bafe86e 779e61c18de3ae1a ab54cc2b019eafb5
    57fa1838a86d172f b97596034c689fdf d21dda9abf064caa 45b7c98ccb9473a5 db73f52a7c401e46
    ffff22111cd6fa3e 0b24fa6b6485e754 67f7662f1837ffc4 ceb8d6dd82d26904 d30b62c5fa84bc7c
    81f94353f5483691 b3a8011031f92564 17ee88ac635983a8 c37df63e6f967155 0804ffb5f8a42f32
    df5dcefc3a29ae8c 92c0c8f2a52628eb 5e7fef4cf73ab12f ce070a9ce66a6000 a1c8dc980d62e7fb
    36782a228dcb6b52 6d3e63cf93beb306 288d222cf9ac20ba d5b27e4f550add5f 221efe9365d2e24b
    6b72814cc9355087 2cf7b8644b787c94 4d6da829c74c6883 d91e62917013fd17 5ef65eb901553b7d
    c7c5da0a3f4a67a5 fecac15b13575959 8af193071510c0d1 ee5f2e850c349363 bf09c15a727eccfa
    244898bb4897d970 473113021fcdc7a6 a5f7df2d56e9d4bb 483e93b5e737a850 73bf1187de604b94
    fc58b8e31ed8d77c bb662310abe1301e fb02aaf30396c0fb ef75c0c004320131 8e0ea7c63629b93d
    d1f1dce09bf69e4f a71f13118005950e ca9217f8b02ea486 a9fda7fbed6b031a 37abcc78156c0b5e
    4fa5295ddbe892a8 ae48bbf34ad4a196 03ab358a756ad8be 7b9bd665f02eff83 00c8d8d3f825c0df
    6a9081bb18bb899a 5db50cb80883ef77 465f139084ca3bf9 82df49fd479e122c 90b725dde1fe0ef1
    99fed1458cc88133 d3700f80e018e39c bf6646afe759e440 892ecc5d8a6c93e1 b52351ec01f1d042
    b867880794a43535 bd87881ca937263e 78be9c59a41b8b53 8b6c45dd0fa700a2 7a7909c36a6fa4f9
    3cce951e35c78bd4 32f20c02aea98ecc 87fa7f18bb46489e 3af312e58fe22f8d 2186470cbd2ea0e2
    4a947ab0a641dc8b d6f7eba2ab9ae16c 0c3f2cb0fd4a8d93 5a26ca89c0416abd a01e42d3d3768734
    3c256a20322c2a11 2f2d688aface9add 0972f722164008ad abfdd9c631a25210 d75ec699d0974926
    ed0b9de30b0a80be 66112bfcdea85b3a 6464e9776d7b4a15 af8ad1ae9350c3ba f1105a9629748210
    7493eb885fb177cd b8638a838a763127 b1f227b7526cd61c 75738f9c01b37965 81fba48e7de2259f
    87bc0a3fdb49ceeb 9234962a87a90a60 3d8229e6e4e8eb29 88a3bb79baea2251 cff0287c0be72450
    dc6b09c3cb73c153 7190bdfd5dc88bd9 12f72e2c318be371 d2cda009f59e3a41 1021be1462cc58ac
    259c8d175adef189 e67ed5dead7a0046 8e26c7661b07f591 5bede84eb7f0bab6 dc4732aa59949b7e
    dbcd7c433b66fb99 23412e9785c030ad fc9daa64ab526269 926c2bc5ba6bba84 510a8e0f3895bb18
    0c0d508ee47abbfd 58db2133d3fd4b7c 41f84572a73c30c5 fcfa4910fb0aabea ffbb0c6e5524f32c
    7f3f18d69cceb519 58c40dc112f7d45d 34d7a763dcc24da3 ec4b93f287a5c796 e1580f57e429d09f
    463a9d2742cc8f0b 8cb7f53f64c15fdd f3f331e3b0444f0b da081c0687f58573 38b3dd6b5692dffd
    f9e7503e18c41195 3e13f6594446c9a7 9c24a87397768e27 38eee23c27258c27 9c82199fe8a9caeb
    0139b4af667aa577 e5d3fbb84670e9d1 5a03cfc8ac145057 a28177795d82a606 8865524745d9e485
    27cc67254336d9d4 fc33475796d623a5 9ef94a98b44a1dd6 83ad1c4065efb085 3437747ec069e657
    e3be1cd528293d5c 9265890778865e6c 1d8ca334234f1a32 9b87cb4ce74593ea 9cd1fc0f7f86bb1c
    aec8a345121cf6a4 ec6c6bb2ed061ccc 23ad56cb90a4d352 5693f693911f0df3 09142ec669b580f2
    8d2a13d228ff8f17 b1d1b3ed296346f8 ae815fbf71015c57 88af5336031e2764 24a8abd9e7980659
    c7aeecdd7de98756 8709efca585f22d4 480d6eb7d8af6e05 8d23cf9ec9b2afb9 dab862d618d68575
    125108b549b59a69 5dc450a6b2479189 8272a5557e277a41 c1a7141bde4bcb9c bdd70d4c6d8fcef1
    8d6ac93b8aa6c14a 016134c4c00a632c 101c17ccf4c44510 80fef141245e66da ca60c118f81ccc27
    37f35e8ccc865829 e504a6df9a2dbba6 49f0ae07884b653f d83d2e038aeebb04 ae28805c9d8f4707
    0576f5c384bd7da8 a974d6b7d7a1c407 fd6d83886458e129 c8ef6c34c700ce8e f7eb66978504f81b
    761e2f6ae2eef195 e018f4c39c187a7f 3ed9e015f4420cd5 e1146ecb558c9950 7a61fc7a28444548
    4a7cd2ce9d21a83b 9609c54d49fe8cdd 828b439751281964 475c115701522ac8 a9da1e3cf6726463
    47d42d60af860256 982efea850b9e6cd 41473d84b1f4bc67 46f0dfc84bb42bbc 6bf4e58e02bb61dc
    80e0fe18dcd77934 3a189a317a901cf4 1aeb85890b033f02 db27610ec5f77c5f 714a87130c585eda
    6ffa5336e65df1e7 de2e02f8c2dfbea4 4d690f13d2d6e23b 599a12daf3f5a56f 44578fbfb6e05e94
    e656d566b9d9a3e7 a1bda4387aa2c832 9819d149fbe01ac0 3498a7303b93d53b 15aa835c36bed8dd
    8b3096926987b36e dcbfe106ae7e807f 834e8c9c1eeefd59 5d223ec2c93f3a48 8a901ddda385d4ba
    8a739b77ba3295ac 157df7b474d9d972 e1eb6ebbfeb5ab43 a56efdaf723a52b9 d9b7e5356d86d543
    bac140d8238ce217 852a7313aa81332c a09fdb0aec3a1098 f53e0bb24332eee5 8347f15bc0472384
    15d5ac06ca231772 48c06341e8272120 8d34427a4b6f5109 4ab00c6b2f7caaf7 67896f3e7c0af134
    052872bc0afc6eaa 37ae75356ae0fe25 38430e1009e5af38 e9bd082bad9b95f3 23b2c516707f3117
    c3b52897b133706f 3a5296d31d0727f5 03369c55ec9f8e8c 9c58b133de064a19 81bd1f7b1dab4246
    cf65a7493682c747 6b195d5751ca98d4 6001f08151519870 7bc1c80bc45f01fe 5892011f34a50bd7
    1d902b3dac551c92 4d7b4da7ea8bd892 823f312410d3966c 1b14ccf47735edf3 b9dff8e8d0bdaa78
    ed0cfc4f478bf57c 451edcf2e909c7e0 9faefcce60090526 0c7f5a623a02b9db 79825a855a9993b6
    377791ec0bd4d01e db920b7612dad772 84b7196aea585109 cf1d1664f241f1fb 7b928edf702087d7
    caa9eb433e115666 cf2092acfb0aae13 a305bc6d49565898 a0c011ee49cfc758 9ed6189956046a81
    9c6683aa4a84632f ef321908bfd0504e 0767e733c072bcc9 d7cc0cb12604e6a6 133fec2af3b87b41
    e3e8bc7cce590ac6 7f44f699d367f0e5 8ad5ecae28ae6b2b 556776a3aada884e c8a7698d8b291d15
    a955184a82966cd9 0ebf128db21810de 4e4f31306463bb17 99946c926a932dce 4805012ad4c774f6
    612b3c44d68fe1f0 0d2cc9780bb7b282 d1f977b0a1b43c07 c0e0bb8059026747 10521680d12bf161
    ff9132c864276f16 9f17eab19481945a 7a48e4ba96fd2f4a 2f5650434be9b3f6 b6e0f34288aedbfd
    7bb45ce5eb993fd8 4376fa9dbff15b43 99cb064a541ac563 938988dce27724b9 4d123b5623b8320d
    fc0c231599a8fb45 485f9d2021c7fce4 76c8e7f450c1b721 8c43bf29e7322e40 981634e3d5abd14e
    796d6d5e9b83672f e7e202111930e8f6 615dff536bc678fb c56e9766fb7b9d12 11e3ae8b77c69232
    3a759e6c97903a5f 4a135600829fffd2 78dc3f90640b2630 ead70495c00b2c64 03e3aba14eabc6be
    8feabc2e0df752a5 adc589c309756071 9c181ac669fcb065 656d3ff92546ef2b 359f2c841efab6ed
    e1116987dfb21b6b 7e9d649b4a21c850 ae39759c69779b3a 3d2cb4936f592ae3 7d1633f0ef5b0cfa
    f9d9d7051e1141d8 19e3933ae9257fc2 ef353f58023127d5 3200ceaaa0e64c49 e62189cb197dfb00
    36fd1f9d45327530 f8a7f6549d8755d4 d5af890e897fe3d5 a69914823dc8bdf1 780852477563e56c
    37fd7c0d88a73d7e 5ded1398d4cc8d23 4f385ba1757a5490 8f4483447e984d95 ea20c27a6fa041f9
    1b58969c1a3dd9cc 5644c663a7765440 477fcd0af87a87ef 5b4ac5696f136c47 55b71b214f68436d
    a613db58dcea65ae dd873bf27691ab69 807c7ae5c83c5079 0cca942ec201f43e 669db24574da9596
"""
RECORDED: tuple[str, ...] = tuple(_RECORDED.split())
"""Per seed (its index), the :func:`digest` of its case's Cost, as rated before the fast
paths."""


@pytest.mark.parametrize("seed", range(len(RECORDED)))
def test_the_cost_of_a_random_session_is_as_recorded(seed: int) -> None:
    case = random_case(seed)
    assert digest(case, rated(case)) == RECORDED[seed]


OLD_METERS = json.loads((Path(__file__).parent / "meters_before_fast_paths.json").read_text())
"""Seed → a Meter's JSON dumped by the rating before the fast paths, after the first
``observed`` readings of the seed's case (as stored by the billing projection and the
processor's tables when they changed)."""


@pytest.mark.parametrize("seed", sorted(OLD_METERS))
def test_a_meter_stored_before_the_fast_paths_goes_on_to_the_recorded_cost(seed: str) -> None:
    case = random_case(int(seed))
    old = OLD_METERS[seed]
    meter = Meter.model_validate(old["meter"])
    for r in case.readings[old["observed"] :]:
        meter = observe(meter, case.tariff, r)
    if case.stop is not None:
        meter = close(meter, case.tariff, case.stop)
    assert digest(case, price(meter, case.tariff, case.until)) == RECORDED[int(seed)]


@pytest.mark.parametrize("seed", range(50))
def test_reading_of_is_the_validated_reading(seed: int) -> None:
    case = random_case(seed)
    for r in [*case.readings, *([case.stop] if case.stop else [])]:
        fast = Reading.of(r.at, r.energy_wh, r.power_w, r.current_a, r.charging)
        assert fast == r
        assert fast.model_dump_json() == r.model_dump_json()


@pytest.mark.parametrize("value", [D("NaN"), D("Infinity"), D("-Infinity")])
def test_reading_of_refuses_what_validation_refuses(value: Decimal) -> None:
    at = datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError):
        Reading(at=at, power_w=value)
    with pytest.raises(ValidationError):
        Reading.of(at, power_w=value)
