# eight clips by eight signers (synthetic stand-ins for your recordings), and two rows that are wrong on purpose
mkdir -p my_clips
words=(cab bed ace dab bead face deaf cafe)
for i in "${!words[@]}"; do
  .venv/bin/fslib clip "${words[$i]}" "my_clips/clip$i.mp4" --signer "$i" --image-size 128 > /dev/null
done
printf 'file,label,signer\n' > my_labels.csv
for i in "${!words[@]}"; do printf 'clip%s.mp4,%s,signer%s\n' "$i" "${words[$i]}" "$i" >> my_labels.csv; done
printf 'clip9.mp4,bad,signer9\nclip2.mp4,ac3,signer2\n' >> my_labels.csv   # a missing file; a duplicate row

.venv/bin/fslib ingest fingerspelling my_clips my_labels.csv my_corpus
cut -d, -f2,7,8 my_corpus/ingest_report.csv

.venv/bin/fslib train --profile smoke --set corpus_path=my_corpus --out-dir my_run | tail -n 4
.venv/bin/fslib clip dace new_clip.mp4 --signer 12 --image-size 128
.venv/bin/fslib recognize new_clip.mp4 --checkpoint my_run/models/recognizer.pt
