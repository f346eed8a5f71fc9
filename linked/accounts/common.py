"""Common passwords refused whatever their tail of digits or symbols (folded to lower case).

A short list of the most used passwords and words people here would pick; the length
rule (12+) already refuses most of the well-known lists.
"""

from __future__ import annotations

_WORDS = """
    123456 12345678 123456789 1234567890 1q2w3e4r5t6y 1qaz2wsx3edc abc123 abcdef
    abcdefghijkl access admin administrator administrator1 arsenal asdfghjkl autumn
    baseball batman bulletin butterfly changeme chelsea children chocolate computer
    correcthorsebatterystaple council default dragon durham england football freedom
    hello iloveyou iloveyouforever internet jennifer letmein letmeinplease linked
    liverpool login london manchester master master123 michael middlesbrough monkey
    mypassword newcastle newsletter p@ssw0rd p@ssword partnership passw0rd password
    password123456 passwordpassword princess qazwsx qwerty qwerty123456 qwertyuiop
    qwertyuiopasdfghjkl safeguarding secret shadow spring starwars summer sunderland
    sunshine superman thisismypassword trustno1 welcome welcometotheteam whatever
    winter yourpassword zaq12wsx zxcvbnm
"""
COMMON_PASSWORDS = frozenset(_WORDS.split())
