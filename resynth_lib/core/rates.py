"""The rates and shapes every stage shares: one place, imported everywhere.

The paper's codec runs three clocks off one 16 kHz waveform:

==========================  ========  ==========================================
stream                      rate      samples per step at 16 kHz
==========================  ========  ==========================================
content units, log-mel      50 Hz     :data:`HOP` = 320 (20 ms)
F0 frames (tracker, voice)  200 Hz    :data:`F0_HOP` = 80 (5 ms)
F0 codes (VQ-VAE)           12.5 Hz   1280 (80 ms): 4 units, 16 F0 frames
==========================  ========  ==========================================

so ``len(wav) // HOP`` unit frames carry ``F0_FRAMES_PER_UNIT * T`` F0 frames and
``ceil(T / UNITS_PER_F0_CODE)`` F0 codes. Taught in notebook 00 (``00_audio_and_data``);
the rates are the paper's, and notebooks 02-07 build every stream on them.

Example
-------
>>> HOP, F0_HOP, F0_FRAMES_PER_UNIT, UNITS_PER_F0_CODE
(320, 80, 4, 4)
>>> F0_CODE_RATE == UNIT_RATE / UNITS_PER_F0_CODE == F0_RATE / F0_FRAMES_PER_CODE
True
"""
SAMPLE_RATE = 16000                                  #: Hz; every waveform in the course
UNIT_RATE = 50                                       #: content units and frame features per second
HOP = SAMPLE_RATE // UNIT_RATE                       #: 320 samples per unit frame (20 ms)
F0_RATE = 200                                        #: F0 frames per second
F0_HOP = SAMPLE_RATE // F0_RATE                      #: 80 samples per F0 frame (5 ms)
F0_FRAMES_PER_UNIT = F0_RATE // UNIT_RATE            #: 4
F0_FRAMES_PER_CODE = 16                              #: the F0 VQ-VAE's down-sampling factor
F0_CODE_RATE = F0_RATE / F0_FRAMES_PER_CODE          #: 12.5 F0 codes per second
UNITS_PER_F0_CODE = F0_FRAMES_PER_CODE // F0_FRAMES_PER_UNIT   #: 4
N_MELS = 80                                          #: mel bands of every log-mel in the course
N_F0_CODES = 20                                      #: the F0 VQ-VAE's codebook size (the paper's)
