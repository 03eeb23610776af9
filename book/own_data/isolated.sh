# the same clips as isolated signs: three glosses, three signers (the labels are arbitrary here)
printf 'file,label,signer\n' > my_signs.csv
for i in 0 1 2 3 4 5 6 7; do printf 'clip%s.mp4,%s,signer%s\n' "$i" "$(echo HELLO THANKS PLEASE | cut -d' ' -f$((i % 3 + 1)))" "$((i / 3))" >> my_signs.csv; done

.venv/bin/fslib ingest isolated my_clips my_signs.csv my_signs --workers 2
.venv/bin/fslib study --profile smoke --only 10 11 --set islr_corpus_path=my_signs --no-progress
cut -d, -f1,2,8,10 runs/smoke/tables/islr_normalization.csv   # each normalization under each source: test top-1 / top-5
