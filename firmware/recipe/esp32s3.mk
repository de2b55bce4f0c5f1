# ESP32-S3 boards: placeholder until the recipe lands.
esp32s3_eye xiao_esp32s3_sense:
	@echo "make firmware BOARD=$@: not written yet" >&2; exit 2
